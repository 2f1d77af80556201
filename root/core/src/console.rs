//! The console's commands: what a typed line means.
//!
//! | command | effect |
//! | --- | --- |
//! | `help` | lists the commands |
//! | `ping` | calls the `ping` component and shows the round trip in TSC ticks |
//! | `shutdown` | powers the machine off |
//!
//! Any other line is answered with one error line; an empty line just
//! prompts again. The full shell arrives with the component manager.

/// The prompt printed before each line.
pub const PROMPT: &str = "pride> ";

/// A parsed console line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    Help,
    Ping,
    Shutdown,
    Empty,
    /// A command the console does not know.
    Unknown(&'a str),
    /// A known command given arguments it does not take.
    UnexpectedArgument {
        command: &'a str,
        argument: &'a str,
    },
}

/// (name, one-line description) of every command, in help order.
pub const COMMANDS: &[(&str, &str)] = &[
    ("help", "list the commands"),
    (
        "ping",
        "call the ping component and show the round-trip cost",
    ),
    ("shutdown", "power the machine off"),
];

/// Parses one line (without its line ending).
pub fn parse(line: &str) -> Command<'_> {
    let mut words = line.split_ascii_whitespace();
    let Some(command) = words.next() else {
        return Command::Empty;
    };
    let parsed = match command {
        "help" => Command::Help,
        "ping" => Command::Ping,
        "shutdown" => Command::Shutdown,
        other => return Command::Unknown(other),
    };
    match words.next() {
        Some(argument) => Command::UnexpectedArgument { command, argument },
        None => parsed,
    }
}

/// Writes the help text.
pub fn write_help(out: &mut impl core::fmt::Write) -> core::fmt::Result {
    writeln!(out, "commands:")?;
    for (name, what) in COMMANDS {
        writeln!(out, "  {name:<10} {what}")?;
    }
    Ok(())
}

/// Writes the one-line error for a command that cannot run.
pub fn write_error(out: &mut impl core::fmt::Write, cmd: &Command<'_>) -> core::fmt::Result {
    match cmd {
        Command::Unknown(c) => writeln!(
            out,
            "error: unknown command '{c}' (type 'help' for the list)"
        ),
        Command::UnexpectedArgument { command, argument } => {
            writeln!(
                out,
                "error: '{command}' takes no argument (got '{argument}')"
            )
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    #[test]
    fn parses_commands() {
        assert_eq!(parse("help"), Command::Help);
        assert_eq!(parse("  shutdown \t"), Command::Shutdown);
        assert_eq!(parse("ping"), Command::Ping);
        assert_eq!(parse(""), Command::Empty);
        assert_eq!(parse("   "), Command::Empty);
        assert_eq!(parse("frobnicate now"), Command::Unknown("frobnicate"));
        assert_eq!(
            parse("help me"),
            Command::UnexpectedArgument {
                command: "help",
                argument: "me"
            }
        );
    }

    #[test]
    fn help_lists_every_command_and_errors_are_one_line() {
        let mut s = String::new();
        write_help(&mut s).unwrap();
        for (name, _) in COMMANDS {
            assert!(s.contains(name));
        }
        let mut e = String::new();
        write_error(&mut e, &parse("xyzzy")).unwrap();
        assert_eq!(
            e,
            "error: unknown command 'xyzzy' (type 'help' for the list)\n"
        );
        let mut e = String::new();
        write_error(&mut e, &parse("shutdown now")).unwrap();
        assert_eq!(e.lines().count(), 1);
    }
}
