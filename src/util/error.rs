//! Problems in the user's input: every step reports them with the file, line and column they come from.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a file of the site, with where it is and how to fix it.
///
/// `line` and `column` are 1-based; 0 means "the file as a whole".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Problem {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    pub fn new(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Problem {
            path: path.as_ref().to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
            help: None,
        }
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `path:line:col`, or less where the position is unknown.
    pub fn location(&self) -> String {
        let path = self.path.display();
        match (self.line, self.column) {
            (0, _) => format!("{path}"),
            (line, 0) => format!("{path}:{line}"),
            (line, col) => format!("{path}:{line}:{col}"),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem one step found, so a user can fix them all in one pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn one(problem: Problem) -> Self {
        Problems(vec![problem])
    }

    /// Every value of `results`, or every problem of every one that failed.
    pub fn gather<T>(
        results: impl IntoIterator<Item = Result<T, Problems>>,
    ) -> Result<Vec<T>, Problems> {
        let mut values = Vec::new();
        let mut problems = Vec::new();
        for result in results {
            match result {
                Ok(value) => values.push(value),
                Err(Problems(found)) => problems.extend(found),
            }
        }
        if problems.is_empty() {
            Ok(values)
        } else {
            Err(Problems(problems))
        }
    }
}

impl From<Problem> for Problems {
    fn from(problem: Problem) -> Self {
        Problems::one(problem)
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {problem}")?;
        }
        if self.0.len() > 1 {
            write!(f, "\n{} problems found", self.0.len())?;
        }
        Ok(())
    }
}

/// 1-based line and column of a byte offset in `text` (column counts characters).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Lines and columns of many offsets in one text: the line by binary search over line
/// starts found once, the column counted from the last offset asked on the same line, so
/// asking for every link of a page in order is one pass over it (calling [`line_col`]
/// for each would be quadratic).
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
    /// The last offset asked and its column.
    last: std::cell::Cell<(usize, usize)>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            text,
            starts,
            last: std::cell::Cell::new((0, 1)),
        }
    }

    /// As [`line_col`] gives it.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let (last, last_column) = self.last.get();
        let column = if (start..=offset).contains(&last) {
            last_column + self.text[last..offset].chars().count()
        } else {
            self.text[start..offset].chars().count() + 1
        };
        self.last.set((offset, column));
        (line, column)
    }
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, text.find('f').unwrap()), (3, 1));
        assert_eq!(line_col(text, text.find('\n').unwrap() + 3), (2, 3));
    }

    #[test]
    fn line_index_agrees_with_line_col_in_any_order() {
        let text = "ab\ncdé\n\nfgh é\nlast";
        let index = LineIndex::new(text);
        let mut offsets: Vec<usize> = (0..=text.len() + 2).collect();
        offsets.extend((0..=text.len()).rev());
        offsets.extend([5, 1, 12, 12, 3]);
        for offset in offsets {
            assert_eq!(
                index.line_col(offset),
                line_col(text, offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["monthly_payment", "annual_run_rate", "term_months"];
        assert_eq!(
            did_you_mean("montly_payment", names),
            Some("monthly_payment")
        );
        assert_eq!(did_you_mean("term_month", names), Some("term_months"));
        assert_eq!(did_you_mean("zzz", names), None);
    }

    #[test]
    fn problem_display_has_location_and_help() {
        let p = Problem::new("content/deal.md", "unknown figure `x`")
            .at(14, 22)
            .help("did you mean `y`?");
        assert_eq!(
            p.to_string(),
            "content/deal.md:14:22: unknown figure `x`\n  help: did you mean `y`?"
        );
        assert_eq!(Problem::new("a.yaml", "m").at(3, 0).location(), "a.yaml:3");
    }
}
