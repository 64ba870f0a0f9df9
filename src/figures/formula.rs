//! Figures: parse formulas such as `months_between(term_start, term_end) + 1 month` into a tree.
//!
//! Runs of `+ -` and of `* /` are kept as flat lists, so a long sum does not make the tree
//! deep; only parentheses, signs and function calls nest, and they are limited to
//! [`MAX_DEPTH`] levels so that hostile input cannot overflow the stack.

use std::ops::Range;

use super::number::SCALE_WORDS;
use super::units::{Unit, atom_alias};

/// How deeply parentheses, unary signs and function calls may nest.
pub(crate) const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

impl Op {
    pub(crate) fn symbol(self) -> char {
        match self {
            Op::Add => '+',
            Op::Sub => '-',
            Op::Mul => '*',
            Op::Div => '/',
        }
    }
}

/// A node of the formula, with the byte range of the text it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    /// A number with the unit written after it (a plain number when none is).
    Number(f64, Unit),
    Name(String),
    Neg(Box<Expr>),
    /// `first op rest[0].1 op rest[1].1 ...`, evaluated left to right; all ops are
    /// either additive or multiplicative.
    Chain(Box<Expr>, Vec<(Op, Expr)>),
    Call(String, Vec<Expr>),
}

/// A formula that cannot be read: what was expected, at which character (1-based).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub at: usize,
    pub message: String,
    pub help: Option<String>,
}

impl Expr {
    /// Figure names in order of first appearance, without repeats.
    pub(crate) fn names(&self) -> Vec<(String, Range<usize>)> {
        let mut names = Vec::new();
        self.collect_names(&mut names);
        names
    }

    fn collect_names(&self, out: &mut Vec<(String, Range<usize>)>) {
        match &self.kind {
            ExprKind::Number(..) => {}
            ExprKind::Name(name) => {
                if !out.iter().any(|(n, _)| n == name) {
                    out.push((name.clone(), self.span.clone()));
                }
            }
            ExprKind::Neg(inner) => inner.collect_names(out),
            ExprKind::Chain(first, rest) => {
                first.collect_names(out);
                for (_, e) in rest {
                    e.collect_names(out);
                }
            }
            ExprKind::Call(_, args) => {
                for a in args {
                    a.collect_names(out);
                }
            }
        }
    }

    /// Every function call, with its name, argument count and span.
    pub(crate) fn calls(&self) -> Vec<(&str, usize, Range<usize>)> {
        let mut calls = Vec::new();
        self.collect_calls(&mut calls);
        calls
    }

    fn collect_calls<'a>(&'a self, out: &mut Vec<(&'a str, usize, Range<usize>)>) {
        match &self.kind {
            ExprKind::Number(..) | ExprKind::Name(_) => {}
            ExprKind::Neg(inner) => inner.collect_calls(out),
            ExprKind::Chain(first, rest) => {
                first.collect_calls(out);
                for (_, e) in rest {
                    e.collect_calls(out);
                }
            }
            ExprKind::Call(name, args) => {
                out.push((name, args.len(), self.span.clone()));
                for a in args {
                    a.collect_calls(out);
                }
            }
        }
    }
}

/// 1-based character position of byte offset `at` in `src`.
pub(crate) fn char_pos(src: &str, at: usize) -> usize {
    src.get(..at).map_or(at, |s| s.chars().count()) + 1
}

pub(crate) fn parse(src: &str) -> Result<Expr, SyntaxError> {
    let mut parser = Parser {
        src,
        pos: 0,
        depth: 0,
    };
    parser.skip_space();
    if parser.pos >= src.len() {
        return Err(SyntaxError {
            at: 1,
            message: "the formula is empty".to_string(),
            help: Some(
                "write an expression over other figures, e.g. `monthly_payment * 12`".into(),
            ),
        });
    }
    let expr = parser.expr()?;
    parser.skip_space();
    match parser.peek() {
        None => Ok(expr),
        Some(')') => Err(parser.error("this `)` has no matching `(`", None)),
        Some(_) => Err(parser.error(
            &format!(
                "expected an operator (`+`, `-`, `*`, `/`) or the end of the formula, found {}",
                parser.found()
            ),
            Some("join terms with an operator, e.g. `a * b`"),
        )),
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
        }
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// What is at the current position, for "found ..." in messages.
    fn found(&self) -> String {
        let rest = self.rest();
        match rest.chars().next() {
            None => "the end of the formula".to_string(),
            Some(c) if is_name_start(c) || c.is_ascii_digit() => {
                let word: String = rest
                    .chars()
                    .take_while(|&c| is_name_char(c) || c == '.')
                    .collect();
                format!("`{word}`")
            }
            Some(c) => format!("`{c}`"),
        }
    }

    fn error(&self, message: &str, help: Option<&str>) -> SyntaxError {
        self.error_at(self.pos, message, help)
    }

    fn error_at(&self, at: usize, message: &str, help: Option<&str>) -> SyntaxError {
        SyntaxError {
            at: char_pos(self.src, at),
            message: message.to_string(),
            help: help.map(str::to_string),
        }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(self.error(
                &format!("the formula nests more than {MAX_DEPTH} levels deep"),
                Some("split it into several derived figures"),
            ))
        } else {
            Ok(())
        }
    }

    /// expr := term (('+' | '-') term)*
    fn expr(&mut self) -> Result<Expr, SyntaxError> {
        self.chain(&[('+', Op::Add), ('-', Op::Sub)], Self::term)
    }

    /// term := unary (('*' | '/') unary)*
    fn term(&mut self) -> Result<Expr, SyntaxError> {
        self.chain(&[('*', Op::Mul), ('/', Op::Div)], Self::unary)
    }

    fn chain(
        &mut self,
        ops: &[(char, Op)],
        operand: fn(&mut Self) -> Result<Expr, SyntaxError>,
    ) -> Result<Expr, SyntaxError> {
        let first = operand(self)?;
        let start = first.span.start;
        let mut rest = Vec::new();
        loop {
            self.skip_space();
            let Some(&(_, op)) = ops.iter().find(|(c, _)| Some(*c) == self.peek()) else {
                break;
            };
            self.bump();
            rest.push((op, operand(self)?));
        }
        if rest.is_empty() {
            return Ok(first);
        }
        let end = rest.last().map_or(first.span.end, |(_, e)| e.span.end);
        Ok(Expr {
            kind: ExprKind::Chain(Box::new(first), rest),
            span: start..end,
        })
    }

    /// unary := '-' unary | '+' unary | primary
    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        self.enter()?;
        self.skip_space();
        let start = self.pos;
        let result = match self.peek() {
            Some('-') => {
                self.bump();
                let inner = self.unary()?;
                let end = inner.span.end;
                Ok(Expr {
                    kind: ExprKind::Neg(Box::new(inner)),
                    span: start..end,
                })
            }
            Some('+') => {
                self.bump();
                self.unary()
            }
            _ => self.primary(),
        };
        self.depth -= 1;
        result
    }

    /// primary := number [unit] | name '(' args ')' | name | '(' expr ')'
    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.pos;
        match self.peek() {
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if is_name_start(c) => {
                let name = self.name();
                let end = self.pos;
                self.skip_space();
                if self.peek() == Some('(') {
                    self.call(name, start)
                } else {
                    Ok(Expr {
                        kind: ExprKind::Name(name),
                        span: start..end,
                    })
                }
            }
            Some('(') => {
                self.bump();
                let inner = self.expr()?;
                self.skip_space();
                if self.peek() != Some(')') {
                    return Err(self.error(
                        &format!(
                            "expected `)` to close the `(` at character {}, found {}",
                            char_pos(self.src, start),
                            self.found()
                        ),
                        None,
                    ));
                }
                self.bump();
                Ok(Expr {
                    kind: inner.kind,
                    span: start..self.pos,
                })
            }
            _ => Err(self.error(
                &format!(
                    "expected a number, a figure name or `(`, found {}",
                    self.found()
                ),
                None,
            )),
        }
    }

    fn name(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_name_char) {
            self.bump();
        }
        self.src.get(start..self.pos).unwrap_or("").to_string()
    }

    fn call(&mut self, name: String, start: usize) -> Result<Expr, SyntaxError> {
        self.enter()?;
        self.bump();
        let mut args = Vec::new();
        self.skip_space();
        if self.peek() == Some(')') {
            self.bump();
        } else {
            loop {
                args.push(self.expr()?);
                self.skip_space();
                match self.peek() {
                    Some(',') => self.bump(),
                    Some(')') => {
                        self.bump();
                        break;
                    }
                    _ => {
                        return Err(self.error(
                            &format!(
                                "expected `,` or `)` in the arguments of `{name}`, found {}",
                                self.found()
                            ),
                            None,
                        ));
                    }
                }
            }
        }
        self.depth -= 1;
        Ok(Expr {
            kind: ExprKind::Call(name, args),
            span: start..self.pos,
        })
    }

    /// A number, an optional scale word, and an optional unit: an atom (`1 month`),
    /// `%`, or a unit expression in parentheses (`12 (month/year)`).
    fn number(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
            self.bump();
        }
        let rest = self.rest();
        let mut exponent = rest.chars();
        if matches!(exponent.next(), Some('e' | 'E')) {
            let after = exponent.as_str();
            let after = after.strip_prefix(['+', '-']).unwrap_or(after);
            if after.starts_with(|c: char| c.is_ascii_digit()) {
                let digits = after.chars().take_while(char::is_ascii_digit).count();
                self.pos += rest.len() - after.len() + digits;
            }
        }
        let text = self.src.get(start..self.pos).unwrap_or("");
        let mut value: f64 = text
            .parse()
            .map_err(|_| self.error_at(start, &format!("`{text}` is not a number"), None))?;
        let mut end = self.pos;
        self.skip_space();
        let word_start = self.pos;
        let word = self.peek_name();
        if let Some(&(_, scale)) = SCALE_WORDS.iter().find(|(w, _)| *w == word) {
            self.pos = word_start + word.len();
            value *= scale;
            end = self.pos;
            self.skip_space();
        }
        let unit = match self.peek() {
            Some('%') => {
                self.bump();
                end = self.pos;
                Unit::atom("%").unwrap_or_else(Unit::one)
            }
            Some('(') => {
                let unit = self.paren_unit()?;
                end = self.pos;
                unit
            }
            Some(c) if is_name_start(c) && !Unit::is_atom(&self.peek_name()) => {
                let word = self.peek_name();
                match atom_alias(&word) {
                    // "36 months" is a likely slip for the unit, not a missing operator.
                    Some(atom) => {
                        return Err(self.error(
                            &format!("unknown unit `{word}` after a number"),
                            Some(&format!("did you mean `{atom}`? e.g. `36 {atom}`")),
                        ));
                    }
                    None => {
                        self.pos = end;
                        Unit::one()
                    }
                }
            }
            Some(c) if is_name_start(c) => {
                let at = self.pos;
                let name = self.name();
                let mut unit_text = name;
                if self.peek() == Some('^') {
                    self.bump();
                    let power_start = self.pos;
                    if self.peek() == Some('-') {
                        self.bump();
                    }
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.bump();
                    }
                    unit_text.push('^');
                    unit_text.push_str(self.src.get(power_start..self.pos).unwrap_or(""));
                }
                end = self.pos;
                Unit::parse(&unit_text).map_err(|e| self.error_at(at, &e.message, Some(&e.help)))?
            }
            _ => {
                self.pos = end;
                Unit::one()
            }
        };
        Ok(Expr {
            kind: ExprKind::Number(value, unit),
            span: start..end,
        })
    }

    fn peek_name(&self) -> String {
        let rest = self.rest();
        if rest.starts_with(is_name_start) {
            rest.chars().take_while(|&c| is_name_char(c)).collect()
        } else {
            String::new()
        }
    }

    fn paren_unit(&mut self) -> Result<Unit, SyntaxError> {
        let open = self.pos;
        self.bump();
        let rest = self.rest();
        let Some(close) = rest.find(')') else {
            return Err(self.error_at(
                open,
                "after a number, `(` starts a unit such as `(month/year)`, but it is never closed",
                None,
            ));
        };
        let text = rest.get(..close).unwrap_or("");
        let unit = Unit::parse(text).map_err(|e| {
            self.error_at(
                open + 1,
                &format!(
                    "after a number, parentheses hold a unit such as `(month/year)`: {}",
                    e.message
                ),
                Some("to multiply a number by an expression, write `*`, e.g. `12 * (a + b)`"),
            )
        })?;
        self.pos += close + 1;
        Ok(unit)
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `name` can be used in a formula (and so can name a figure).
pub(crate) fn is_name(name: &str) -> bool {
    name.starts_with(is_name_start) && name.chars().all(is_name_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> Expr {
        match parse(src) {
            Ok(e) => e,
            Err(e) => panic!("{src}: {} at {}", e.message, e.at),
        }
    }

    fn err(src: &str) -> SyntaxError {
        match parse(src) {
            Ok(e) => panic!("{src} parsed as {e:?}"),
            Err(e) => e,
        }
    }

    fn number(e: &Expr) -> (f64, String) {
        match &e.kind {
            ExprKind::Number(v, u) => (*v, u.describe()),
            other => panic!("not a number: {other:?}"),
        }
    }

    #[test]
    fn numbers_take_scale_words_and_units() {
        assert_eq!(number(&ok("1 month")), (1.0, "month".into()));
        assert_eq!(number(&ok("1000 kW")), (1000.0, "kW".into()));
        assert_eq!(number(&ok("12 (month/year)")), (12.0, "month/year".into()));
        assert_eq!(
            number(&ok("1.25 billion")),
            (1.25e9, "a plain number".into())
        );
        assert_eq!(number(&ok("2 million USD")), (2e6, "USD".into()));
        assert_eq!(number(&ok("50%")), (50.0, "%".into()));
        assert_eq!(number(&ok("1.5e3")), (1500.0, "a plain number".into()));
        assert_eq!(number(&ok("3 MW^2")), (3.0, "MW^2".into()));
    }

    #[test]
    fn names_in_order_of_first_appearance() {
        let e = ok("months_between(term_start, term_end) + 1 month - term_start * x");
        let names: Vec<String> = e.names().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["term_start", "term_end", "x"]);
        assert_eq!(e.calls().len(), 1);
        assert_eq!(e.calls()[0].0, "months_between");
    }

    #[test]
    fn precedence_and_flat_chains() {
        let e = ok("a + b * c - d");
        let ExprKind::Chain(first, rest) = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(first.kind, ExprKind::Name("a".into()));
        assert_eq!(rest.len(), 2);
        assert_eq!(rest[0].0, Op::Add);
        assert!(matches!(rest[0].1.kind, ExprKind::Chain(..)));
        assert_eq!(rest[1].0, Op::Sub);
        // A long sum stays flat: one chain, no deep recursion.
        let long = vec!["a"; 20_000].join(" + ");
        let ExprKind::Chain(_, rest) = ok(&long).kind else {
            panic!("not a chain")
        };
        assert_eq!(rest.len(), 19_999);
    }

    #[test]
    fn spans_cover_the_source_text() {
        let src = "a / (b - c)";
        let ExprKind::Chain(_, rest) = ok(src).kind else {
            panic!()
        };
        assert_eq!(&src[rest[0].1.span.clone()], "(b - c)");
    }

    #[test]
    fn syntax_errors_say_what_was_expected_and_where() {
        let e = err("a + * b");
        assert_eq!(e.at, 5);
        assert_eq!(
            e.message,
            "expected a number, a figure name or `(`, found `*`"
        );
        let e = err("a +");
        assert_eq!(
            e.message,
            "expected a number, a figure name or `(`, found the end of the formula"
        );
        let e = err("(a + b");
        assert_eq!(
            e.message,
            "expected `)` to close the `(` at character 1, found the end of the formula"
        );
        let e = err("a b");
        assert!(
            e.message.starts_with("expected an operator"),
            "{}",
            e.message
        );
        assert_eq!(e.at, 3);
        assert_eq!(err("a)").message, "this `)` has no matching `(`");
        assert_eq!(err("   ").message, "the formula is empty");
        assert!(err("min(a b)").message.contains("arguments of `min`"));
        assert!(
            err("12 (a + b)")
                .message
                .contains("parentheses hold a unit")
        );
        assert!(err("a $ b").message.contains("`$`"));
        assert!(err("1.2.3").message.contains("not a number"));
        let e = err("36 months");
        assert_eq!(e.message, "unknown unit `months` after a number");
        assert_eq!(
            e.help.as_deref(),
            Some("did you mean `month`? e.g. `36 month`")
        );
        assert_eq!(e.at, 4);
        // A word that is no unit at all is a missing operator, not a unit typo.
        assert!(err("2 x").message.starts_with("expected an operator"));
    }

    #[test]
    fn deep_nesting_is_a_problem_not_a_crash() {
        for src in [
            "(".repeat(10_000),
            format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000)),
            "-".repeat(10_000) + "a",
            "abs(".repeat(10_000),
        ] {
            let e = err(&src);
            assert!(
                e.message.contains("nests more than 64 levels"),
                "{}",
                e.message
            );
        }
        let fine = format!("{}a{}", "(".repeat(60), ")".repeat(60));
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn figure_names_are_identifiers() {
        assert!(is_name("monthly_payment"));
        assert!(is_name("_x2"));
        assert!(!is_name("2x"));
        assert!(!is_name("a-b"));
        assert!(!is_name(""));
    }
}
