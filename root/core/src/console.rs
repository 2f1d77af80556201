//! The shell's commands: what a typed line means.
//!
//! | command | effect |
//! | --- | --- |
//! | `help` | lists the commands |
//! | `ps` | components: id, name, version, generation, state, memory |
//! | `images` | the image store: images packed into the system |
//! | `launch IMAGE [NAME]` | starts a component from an image (named NAME, default the manifest's name) |
//! | `stop NAME` | stops a component and reclaims all its memory and slots |
//! | `restart NAME` | stops and starts it again (a new generation) |
//! | `update NAME IMAGE` | replaces it by a new image, handing its state over |
//! | `mem` | free memory and slots |
//! | `log` | the supervisor's recent events |
//! | `rc` | resource containers: quota, use, donations |
//! | `conns` | connections: client, service, badge, donation |
//! | `policy show` / `policy log` / `policy swap MODULE` | the security policy: rules in force, recent decisions, swap the module |
//! | `store put KEY VALUE` / `get KEY` / `rm KEY` / `ls` | the store, as the shell's subject `sys/shell` |
//! | `ls [PATH]` / `cat PATH` / `write PATH TEXT` / `rm PATH` / `mkdir PATH` / `df` | files on the file server `fs`, as the shell's subject (`write` puts TEXT and a newline in the file, replacing it) |
//! | `netstat` | the socket server's sockets: protocol, local and peer address, state, owner |
//! | `ping` | calls the `ping` component and shows the round trip in TSC ticks |
//! | `shutdown` | powers the machine off |
//!
//! A bad command or argument is answered with one error line; an empty line
//! just prompts again.

/// The prompt printed before each line.
pub const PROMPT: &str = "pride> ";

/// A parsed console line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    Help,
    Ps,
    Images,
    Launch {
        image: &'a str,
        name: Option<&'a str>,
    },
    Stop {
        name: &'a str,
    },
    Restart {
        name: &'a str,
    },
    Update {
        name: &'a str,
        image: &'a str,
    },
    Mem,
    Log,
    Rc,
    Conns,
    PolicyShow,
    PolicyLog,
    PolicySwap {
        module: &'a str,
    },
    StorePut {
        key: &'a str,
        value: &'a str,
    },
    StoreGet {
        key: &'a str,
    },
    StoreLs,
    StoreRm {
        key: &'a str,
    },
    SystemStart {
        name: &'a str,
    },
    SystemStop {
        name: &'a str,
    },
    /// Where every buffer of a network system's pools is.
    SystemCensus {
        name: &'a str,
    },
    Systems,
    /// `ls [PATH]` (default `/`).
    Ls {
        path: &'a str,
    },
    Cat {
        path: &'a str,
    },
    /// `write PATH TEXT`: TEXT is the rest of the line.
    Write {
        path: &'a str,
        text: &'a str,
    },
    Rm {
        path: &'a str,
    },
    Mkdir {
        path: &'a str,
    },
    Df,
    Netstat,
    Ping,
    Shutdown,
    Empty,
    /// A command the shell does not know.
    Unknown(&'a str),
    /// A known command with the wrong arguments: its usage line.
    Usage(&'static str),
}

/// (usage, one-line description) of every command, in help order.
pub const COMMANDS: &[(&str, &str)] = &[
    ("help", "list the commands"),
    ("ps", "list components: id, name, version, generation, state, memory"),
    ("images", "list the images that can be launched"),
    ("launch IMAGE [NAME]", "start a component from an image"),
    ("stop NAME", "stop a component and reclaim its memory"),
    ("restart NAME", "stop a component and start it again"),
    (
        "update NAME IMAGE",
        "replace a component by a new image, keeping its state",
    ),
    ("mem", "show free memory and capability slots"),
    ("log", "show recent supervisor events"),
    ("rc", "list resource containers: quota, use, donations"),
    ("conns", "list connections: client, service, badge, donation"),
    (
        "policy show|log",
        "show the security policy in force, or its recent decisions",
    ),
    (
        "policy swap MODULE",
        "swap the policy module (allowlist, open, lattice, chinese-wall, ratelimit)",
    ),
    (
        "store put KEY VALUE",
        "write an object in the store (as the shell's subject, sys/shell)",
    ),
    ("store get|rm KEY", "read or delete an object"),
    ("store ls", "list the store's objects"),
    (
        "system start|stop|census NAME",
        "start or stop a Microkit subsystem described by systems/NAME.system; census: where every buffer of its network pools is",
    ),
    (
        "systems",
        "list the running Microkit subsystems and their protection domains",
    ),
    ("ls [PATH]", "list a directory of the file system (default /)"),
    ("cat PATH", "print a file"),
    ("write PATH TEXT", "write TEXT and a newline to a file, replacing it"),
    ("rm PATH", "remove a file or an empty directory"),
    ("mkdir PATH", "make a directory"),
    ("df", "show the file system's size and free space"),
    (
        "netstat",
        "list the socket server's sockets: protocol, local, peer, state, owner",
    ),
    ("ping", "call the ping component and show the round-trip cost"),
    ("shutdown", "power the machine off"),
];

/// `store ...`: the value of `put` is the rest of the line.
fn parse_store(rest: &str) -> Command<'_> {
    let (sub, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let args = args.trim();
    let mut w = args.split_ascii_whitespace();
    match (sub, w.next(), w.next()) {
        ("put", Some(key), Some(_)) => {
            let value = args[key.len()..].trim();
            Command::StorePut { key, value }
        }
        ("get", Some(key), None) => Command::StoreGet { key },
        ("rm", Some(key), None) => Command::StoreRm { key },
        ("ls", None, None) => Command::StoreLs,
        ("put", ..) => Command::Usage("store put KEY VALUE"),
        ("get" | "rm", ..) => Command::Usage("store get|rm KEY"),
        _ => Command::Usage("store put KEY VALUE | store get|rm KEY | store ls"),
    }
}

fn usage(name: &str) -> &'static str {
    COMMANDS
        .iter()
        .find(|(u, _)| u.split(' ').next() == Some(name))
        .map_or("help", |(u, _)| u)
}

/// Parses one line (without its line ending).
pub fn parse(line: &str) -> Command<'_> {
    let mut words = line.split_ascii_whitespace();
    let Some(command) = words.next() else {
        return Command::Empty;
    };
    if command == "store" {
        return parse_store(line.trim_start()["store".len()..].trim_start());
    }
    if command == "write" {
        // The text is the rest of the line, spaces and all.
        let rest = line.trim_start()["write".len()..].trim_start();
        return match rest.split_once(char::is_whitespace) {
            Some((path, text)) if !text.trim().is_empty() => Command::Write {
                path,
                text: text.trim(),
            },
            _ => Command::Usage("write PATH TEXT"),
        };
    }
    let args: [Option<&str>; 3] = [words.next(), words.next(), words.next()];
    let parsed = match (command, args) {
        ("help", [None, ..]) => Command::Help,
        ("ps", [None, ..]) => Command::Ps,
        ("images", [None, ..]) => Command::Images,
        ("launch", [Some(image), name, None]) => Command::Launch { image, name },
        ("stop", [Some(name), None, _]) => Command::Stop { name },
        ("restart", [Some(name), None, _]) => Command::Restart { name },
        ("update", [Some(name), Some(image), None]) => Command::Update { name, image },
        ("mem", [None, ..]) => Command::Mem,
        ("log", [None, ..]) => Command::Log,
        ("rc", [None, ..]) => Command::Rc,
        ("conns", [None, ..]) => Command::Conns,
        ("policy", [Some("show"), None, _]) => Command::PolicyShow,
        ("policy", [Some("log"), None, _]) => Command::PolicyLog,
        ("policy", [Some("swap"), Some(module), None]) => Command::PolicySwap { module },
        ("system", [Some("start"), Some(name), None]) => Command::SystemStart { name },
        ("system", [Some("stop"), Some(name), None]) => Command::SystemStop { name },
        ("system", [Some("census"), Some(name), None]) => Command::SystemCensus { name },
        ("systems", [None, ..]) => Command::Systems,
        ("ls", [path, None, _]) => Command::Ls {
            path: path.unwrap_or("/"),
        },
        ("cat", [Some(path), None, _]) => Command::Cat { path },
        ("rm", [Some(path), None, _]) => Command::Rm { path },
        ("mkdir", [Some(path), None, _]) => Command::Mkdir { path },
        ("df", [None, ..]) => Command::Df,
        ("netstat", [None, ..]) => Command::Netstat,
        ("ping", [None, ..]) => Command::Ping,
        ("shutdown", [None, ..]) => Command::Shutdown,
        (
            "help" | "ps" | "images" | "launch" | "stop" | "restart" | "update" | "mem" | "log" | "ping" | "shutdown"
            | "rc" | "conns" | "policy" | "system" | "systems" | "ls" | "cat" | "rm" | "mkdir" | "df" | "netstat",
            _,
        ) => Command::Usage(usage(command)),
        (other, _) => Command::Unknown(other),
    };
    parsed
}

/// Writes the help text.
pub fn write_help(out: &mut impl core::fmt::Write) -> core::fmt::Result {
    writeln!(out, "commands:")?;
    for (name, what) in COMMANDS {
        writeln!(out, "  {name:<20} {what}")?;
    }
    Ok(())
}

/// Writes the one-line error for a command that cannot run.
pub fn write_error(out: &mut impl core::fmt::Write, cmd: &Command<'_>) -> core::fmt::Result {
    match cmd {
        Command::Unknown(c) => writeln!(out, "error: unknown command '{c}' (type 'help' for the list)"),
        Command::Usage(u) => writeln!(out, "error: usage: {u}"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    #[test]
    fn parses_file_commands() {
        assert_eq!(parse("ls"), Command::Ls { path: "/" });
        assert_eq!(parse("ls /bin"), Command::Ls { path: "/bin" });
        assert_eq!(parse("cat /README"), Command::Cat { path: "/README" });
        assert_eq!(
            parse("write /notes  hello,  world "),
            Command::Write {
                path: "/notes",
                text: "hello,  world"
            }
        );
        assert_eq!(parse("write /notes"), Command::Usage("write PATH TEXT"));
        assert_eq!(parse("write"), Command::Usage("write PATH TEXT"));
        assert_eq!(parse("rm /a"), Command::Rm { path: "/a" });
        assert_eq!(parse("mkdir /d"), Command::Mkdir { path: "/d" });
        assert_eq!(parse("df"), Command::Df);
        assert_eq!(parse("cat"), Command::Usage("cat PATH"));
        assert_eq!(parse("ls a b"), Command::Usage("ls [PATH]"));
        assert_eq!(parse("df x"), Command::Usage("df"));
    }

    #[test]
    fn parses_commands() {
        assert_eq!(parse("help"), Command::Help);
        assert_eq!(parse("  shutdown \t"), Command::Shutdown);
        assert_eq!(parse("ps"), Command::Ps);
        assert_eq!(
            parse("launch hello"),
            Command::Launch {
                image: "hello",
                name: None
            }
        );
        assert_eq!(
            parse("launch hello h2"),
            Command::Launch {
                image: "hello",
                name: Some("h2")
            }
        );
        assert_eq!(parse("stop h2"), Command::Stop { name: "h2" });
        assert_eq!(parse("restart h2"), Command::Restart { name: "h2" });
        assert_eq!(
            parse("update counter counter-v2"),
            Command::Update {
                name: "counter",
                image: "counter-v2"
            }
        );
        assert_eq!(parse(""), Command::Empty);
        assert_eq!(parse("   "), Command::Empty);
        assert_eq!(parse("frobnicate now"), Command::Unknown("frobnicate"));
    }

    #[test]
    fn policy_and_store_commands() {
        assert_eq!(parse("policy show"), Command::PolicyShow);
        assert_eq!(parse("policy log"), Command::PolicyLog);
        assert_eq!(parse("policy swap lattice"), Command::PolicySwap { module: "lattice" });
        assert_eq!(parse("policy"), Command::Usage("policy show|log"));
        assert_eq!(parse("system start echo"), Command::SystemStart { name: "echo" });
        assert_eq!(parse("system stop echo"), Command::SystemStop { name: "echo" });
        assert_eq!(parse("systems"), Command::Systems);
        assert_eq!(parse("system census echo"), Command::SystemCensus { name: "echo" });
        assert_eq!(
            parse("system launch echo"),
            Command::Usage("system start|stop|census NAME")
        );
        assert_eq!(
            parse("store put notes/a hello big world"),
            Command::StorePut {
                key: "notes/a",
                value: "hello big world"
            }
        );
        assert_eq!(parse("store get notes/a"), Command::StoreGet { key: "notes/a" });
        assert_eq!(parse("store rm notes/a"), Command::StoreRm { key: "notes/a" });
        assert_eq!(parse("store ls"), Command::StoreLs);
        assert_eq!(parse("store put onlykey"), Command::Usage("store put KEY VALUE"));
        assert_eq!(
            parse("store"),
            Command::Usage("store put KEY VALUE | store get|rm KEY | store ls")
        );
        assert_eq!(parse("rc"), Command::Rc);
        assert_eq!(parse("conns x"), Command::Usage("conns"));
        assert_eq!(parse("netstat"), Command::Netstat);
        assert_eq!(parse("netstat -a"), Command::Usage("netstat"));
    }

    #[test]
    fn wrong_arguments_give_the_usage() {
        assert_eq!(parse("help me"), Command::Usage("help"));
        assert_eq!(parse("launch"), Command::Usage("launch IMAGE [NAME]"));
        assert_eq!(parse("launch a b c"), Command::Usage("launch IMAGE [NAME]"));
        assert_eq!(parse("stop"), Command::Usage("stop NAME"));
        assert_eq!(parse("stop a b"), Command::Usage("stop NAME"));
        assert_eq!(parse("update counter"), Command::Usage("update NAME IMAGE"));
        assert_eq!(parse("update a b c"), Command::Usage("update NAME IMAGE"));
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
        assert_eq!(e, "error: unknown command 'xyzzy' (type 'help' for the list)\n");
        let mut e = String::new();
        write_error(&mut e, &parse("shutdown now")).unwrap();
        assert_eq!(e, "error: usage: shutdown\n");
    }
}
