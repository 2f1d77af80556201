//! The boot script (`boot.cfg` in the image archive): what the root task
//! starts and does after boot. One directive per line; `#` starts a comment.
//!
//! | directive | meaning |
//! | --- | --- |
//! | `launch IMAGE [NAME]` | start a component from IMAGE (its manifest gives priority, quota, services) |
//! | `system NAME` | start the Microkit subsystem described by `systems/NAME.system` |
//! | `scenario NAME` | run the built-in test scenario NAME, report, and exit QEMU |
//! | `bench` | run the benchmarks, print their figures, and exit QEMU |
//!
//! Without `scenario` or `bench` the root task starts the console.

/// One directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Directive<'a> {
    Launch { image: &'a str, name: Option<&'a str> },
    System(&'a str),
    Scenario(&'a str),
    Bench,
}

/// A line the root task could not understand (1-based line number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootCfgError<'a> {
    pub line: usize,
    pub text: &'a str,
    pub why: &'static str,
}

/// Parses the script; yields each directive or the error of each bad line.
pub fn parse(text: &str) -> impl Iterator<Item = Result<Directive<'_>, BootCfgError<'_>>> {
    text.lines().enumerate().filter_map(|(i, raw)| {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            return None;
        }
        let err = |why| {
            Err(BootCfgError {
                line: i + 1,
                text: raw,
                why,
            })
        };
        let mut w = line.split_ascii_whitespace();
        Some(match (w.next(), w.next(), w.next(), w.next()) {
            (Some("launch"), Some(image), name, None) => Ok(Directive::Launch { image, name }),
            (Some("launch"), ..) => err("usage: launch IMAGE [NAME]"),
            (Some("system"), Some(name), None, _) => Ok(Directive::System(name)),
            (Some("system"), ..) => err("usage: system NAME"),
            (Some("scenario"), Some(name), None, _) => Ok(Directive::Scenario(name)),
            (Some("bench"), None, ..) => Ok(Directive::Bench),
            _ => err("unknown directive"),
        })
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn parses_directives_and_reports_bad_lines() {
        let text = "# default\nlaunch ping\nlaunch hello h2 # second\n\nscenario foundation\nbench\nlaunch\nlaunch a b c\nfly away\nsystem echo\nsystem\n";
        let got: Vec<_> = parse(text).collect();
        assert_eq!(
            got[0],
            Ok(Directive::Launch {
                image: "ping",
                name: None
            })
        );
        assert_eq!(
            got[1],
            Ok(Directive::Launch {
                image: "hello",
                name: Some("h2")
            })
        );
        assert_eq!(got[2], Ok(Directive::Scenario("foundation")));
        assert_eq!(got[3], Ok(Directive::Bench));
        assert_eq!(got[4].unwrap_err().line, 7);
        assert_eq!(got[5].unwrap_err().why, "usage: launch IMAGE [NAME]");
        assert_eq!(got[6].unwrap_err().why, "unknown directive");
        assert_eq!(got[7], Ok(Directive::System("echo")));
        assert_eq!(got[8].unwrap_err().why, "usage: system NAME");
        assert_eq!(got.len(), 9);
    }
}
