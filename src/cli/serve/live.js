// briefing serve: reload this page when the site is rebuilt; show the build's problems over it.
// Injected by the preview server only; pages written by `briefing build` never load it.
(function () {
  "use strict";
  var script = document.currentScript;
  var version = (script && script.getAttribute("data-version")) || "";
  var host = null;

  function hide() {
    if (host) {
      host.remove();
      host = null;
    }
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // Built with textContent only: a problem's message can never inject markup.
  // A shadow root keeps the site's stylesheet away from the overlay and back.
  function show(report) {
    hide();
    host = document.createElement("briefing-build-error");
    host.setAttribute("role", "alert");
    var root = host.attachShadow({ mode: "open" });
    var style = element("style");
    style.textContent =
      ":host{all:initial}" +
      ".backdrop{position:fixed;inset:0;z-index:2147483647;background:rgba(20,20,20,.55);" +
      "display:flex;align-items:flex-start;justify-content:center;overflow:auto;" +
      "font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}" +
      ".panel{margin:6vh 1rem;max-width:52rem;width:100%;background:#fff;color:#1b1b1b;" +
      "border-top:6px solid #c62828;border-radius:6px;box-shadow:0 10px 40px rgba(0,0,0,.35);padding:1.2rem 1.5rem}" +
      "h2{margin:0 0 .3rem;font-size:1.15rem;color:#b71c1c}" +
      ".note{margin:0 0 1rem;color:#555}" +
      "ul{list-style:none;margin:0;padding:0}" +
      "li{padding:.7rem 0;border-top:1px solid #eee}" +
      ".location{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#6a1b9a;word-break:break-all}" +
      ".message{display:block;margin-top:.2rem;white-space:pre-wrap}" +
      ".help{display:block;margin-top:.2rem;color:#2e5c8a;white-space:pre-wrap}" +
      "button{float:right;border:0;background:none;font-size:1.4rem;line-height:1;cursor:pointer;color:#555}";
    var backdrop = element("div", null, "backdrop");
    var panel = element("div", null, "panel");
    var close = element("button", "\u00d7");
    close.setAttribute("aria-label", "Hide until the next build");
    close.addEventListener("click", hide);
    panel.appendChild(close);
    var problems = report.problems || [];
    panel.appendChild(
      element("h2", problems.length === 1 ? "The build failed" : "The build failed: " + problems.length + " problems")
    );
    panel.appendChild(
      element(
        "p",
        (/-0$/.test(report.version) ? "There is no good version to show yet." : "The page below is the last good version.") +
          " Fix the problem and save: this page updates by itself.",
        "note"
      )
    );
    var list = element("ul");
    problems.forEach(function (problem) {
      var item = element("li");
      item.appendChild(element("span", problem.location, "location"));
      item.appendChild(element("span", problem.message, "message"));
      if (problem.help) item.appendChild(element("span", "help: " + problem.help, "help"));
      list.appendChild(item);
    });
    panel.appendChild(list);
    backdrop.appendChild(panel);
    root.appendChild(style);
    root.appendChild(backdrop);
    (document.body || document.documentElement).appendChild(host);
  }

  // The elements of a document that a new version may not change for its body to be
  // swapped in place: stylesheets and scripts (a new stylesheet has a new hashed name).
  function resources(doc) {
    var found = [];
    doc.querySelectorAll("link[rel~=stylesheet], style, script").forEach(function (node) {
      if (node.getAttribute("src") === script.getAttribute("src")) return;
      if (node.type === "application/ld+json") return;
      found.push(node.outerHTML);
    });
    return found.join("\n");
  }

  // Swap the new version's body in without a navigation: faster than a reload, and the
  // reader keeps their place. Anything else (a new stylesheet, a script, an error) reloads.
  function update() {
    fetch(location.href, { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html");
        var tag = next.querySelector("script[data-version]");
        if (!tag || !next.body || resources(next) !== resources(document)) throw new Error("reload");
        version = tag.getAttribute("data-version") || version;
        document.title = next.title;
        hide();
        document.body.replaceWith(document.adoptNode(next.body));
        listen();
      })
      .catch(function () {
        location.reload();
      });
  }

  // Browsers allow six HTTP/1.1 connections per server, and each open event stream holds
  // one: only a visible page listens, and a page shown again catches up on reconnecting.
  var events = null;
  function listen() {
    if (events) return;
    events = new EventSource("/__briefing/events?version=" + encodeURIComponent(version));
    events.addEventListener("reload", function () {
      stop();
      update();
    });
    events.addEventListener("build-error", function (event) {
      show(JSON.parse(event.data));
    });
    events.addEventListener("ready", hide);
  }
  function stop() {
    if (events) {
      events.close();
      events = null;
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") stop();
    else listen();
  });
  if (document.visibilityState !== "hidden") listen();
})();
