//! Preview, connections: accept them and answer HTTP/1.1 on each, closing any that is slow to send its request head or on which nothing moves for too long.
//!
//! `axum::serve` gives no way to set hyper's header timeout, so the preview runs its own
//! accept loop (the same one, with limits): a client that opens connections and sends
//! half a request, or nothing, must not hold them open for ever once `--bind` makes the
//! preview reachable from other machines.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::time::{Instant, Sleep};

/// How long a client may take; see [`super::ServeOptions`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub header: Duration,
    pub idle: Duration,
}

/// Answer with `app` on every connection `listener` accepts until `closing` completes;
/// then accept no more, let each connection finish the answer it is writing (event
/// streams end on their own), and return once every connection is closed.
pub(super) async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    closing: impl Future<Output = ()>,
) -> io::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::pin!(closing);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    accept_failed(&err).await;
                    continue;
                }
            },
            () = &mut closing => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let io = TokioIo::new(IdleLimit::new(stream, limits.idle));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header);
            let connection = builder.serve_connection(io, service);
            tokio::pin!(connection);
            let mut stopping = false;
            loop {
                tokio::select! {
                    // An error is a client's doing (a timeout, a reset): nothing to report.
                    _ = connection.as_mut() => break,
                    _ = stopped.wait_for(|stop| *stop), if !stopping => {
                        stopping = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            // Dropping `stopped` tells the server this connection is closed.
        });
    }
    drop(listener);
    drop(stopped);
    let _ = stop.send(true);
    stop.closed().await;
    Ok(())
}

/// After a failed accept: at once for one connection's trouble; a second's pause when the
/// process is out of file descriptors or memory, so the loop does not spin.
async fn accept_failed(err: &io::Error) {
    let one_connection = matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    );
    if !one_connection {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A connection that fails with `TimedOut` once no byte has moved either way for `limit`.
struct IdleLimit<T> {
    inner: T,
    limit: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<T> IdleLimit<T> {
    fn new(inner: T, limit: Duration) -> IdleLimit<T> {
        IdleLimit {
            inner,
            limit,
            deadline: Box::pin(tokio::time::sleep(limit)),
        }
    }

    fn moved(&mut self) {
        let next = Instant::now() + self.limit;
        self.deadline.as_mut().reset(next);
    }

    /// What a waiting read or write returns: still waiting, or the end of the connection.
    fn waiting<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no data moved on the connection within the idle limit",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleLimit<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => this.waiting(cx),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleLimit<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, bytes) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    this.moved();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => this.waiting(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    this.moved();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => this.waiting(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => this.waiting(cx),
            ready => ready,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    #[tokio::test]
    async fn a_connection_with_nothing_moving_fails_after_the_limit() {
        let limit = Duration::from_millis(200);
        let (mut client, server) = tokio::io::duplex(16);
        let mut server = IdleLimit::new(server, limit);
        // Bytes that keep coming, each within the limit, keep it open past it.
        for _ in 0..4 {
            tokio::time::sleep(limit / 2).await;
            client.write_all(b"x").await.unwrap();
            let mut byte = [0u8; 1];
            server.read_exact(&mut byte).await.unwrap();
        }
        let started = Instant::now();
        let err = server.read(&mut [0u8; 1]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= limit);
        // A reader that stopped reading: the write that waits fails too.
        let (_client, server) = tokio::io::duplex(16);
        let mut server = IdleLimit::new(server, limit);
        let err = server.write_all(&[0u8; 64]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
