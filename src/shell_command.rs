//! A command for a POSIX shell, as bulkflow prints it for a person to paste or a script to run
//! (the resume hint, the report's commands): each word quoted once, here. What the command is,
//! `settings::resume` decides; how it reads, this file.

/// A command that resumes a run: each word already quoted for a POSIX shell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resume {
    words: Vec<String>,
}

impl std::fmt::Display for Resume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words.join(" "))
    }
}

impl Resume {
    /// A word as it is (a command's name, a flag).
    pub fn push(&mut self, plain: &str) {
        self.words.push(plain.to_owned());
    }

    /// A value, quoted for the shell.
    pub fn word(&mut self, value: &str) {
        self.words.push(shell_word(value));
    }

    /// The command with `flag` added, unless it has it already (clap refuses a flag twice).
    pub fn with(&self, flag: &str) -> String {
        self.with_all(&[flag])
    }

    /// The command with each of `flags` it does not have yet added, in order.
    pub fn with_all(&self, flags: &[&str]) -> String {
        let mut out = self.to_string();
        for flag in flags.iter().filter(|f| !self.words.iter().any(|w| w == *f)) {
            out.push(' ');
            out.push_str(flag);
        }
        out
    }

    /// Whether there is a command at all (a dry run has none).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// `s` as one word for a POSIX shell: as it is when it is plain, else in single quotes.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@,=".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
