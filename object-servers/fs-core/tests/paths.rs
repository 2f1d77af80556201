//! The path rules and the security mapping.

use fs_core::path::{checks, Access, Check, NAME_MAX, PATH_MAX};
use fs_core::{FsError, FsPath, OpenFlags};
use proptest::prelude::*;
use security_srv::Operation;

fn p(s: &str) -> FsPath {
    FsPath::parse(s).expect("test path")
}

#[test]
fn examples() {
    for good in [
        "/",
        "/a",
        "/a/b",
        "/.profile",
        "/a.b/c-d/e_f",
        "/x+y=z,w@v~u",
        "/...",
        "/a/..b",
    ] {
        assert_eq!(
            FsPath::parse(good).map(|x| x.as_str().to_owned()),
            Ok(good.to_owned()),
            "{good}"
        );
    }
    for bad in [
        "", "a", "a/b", "//", "/a/", "/a//b", "/.", "/..", "/a/./b", "/a/../b", "/a b", "/a*", "/a:b", "/é", "/a\0",
        "/a\\b", "\\a",
    ] {
        assert_eq!(FsPath::parse(bad), Err(FsError::BadPath), "{bad:?}");
    }
    let name = "n".repeat(NAME_MAX);
    assert!(FsPath::parse(&format!("/{name}")).is_ok());
    assert_eq!(FsPath::parse(&format!("/{name}n")), Err(FsError::NameTooLong));
    let long = format!("/{}/{}", "a".repeat(NAME_MAX), "b".repeat(PATH_MAX - NAME_MAX - 2));
    assert_eq!(long.len(), PATH_MAX);
    assert!(FsPath::parse(&long).is_ok());
    assert_eq!(FsPath::parse(&format!("{long}c")), Err(FsError::NameTooLong));
    assert_eq!(FsPath::parse_bytes(b"/\xff"), Err(FsError::BadPath));
    assert_eq!(FsPath::parse_bytes(b"/ok").map(|x| x.to_string()), Ok("/ok".to_owned()));
}

#[test]
fn parts() {
    let ab = p("/a/b");
    assert_eq!(ab.name(), Some("b"));
    assert_eq!(ab.parent(), Some(p("/a")));
    assert_eq!(p("/a").parent(), Some(FsPath::root()));
    assert_eq!(FsPath::root().parent(), None);
    assert_eq!(FsPath::root().name(), None);
    assert_eq!(FsPath::root().join("x"), Ok(p("/x")));
    assert_eq!(ab.join("c"), Ok(p("/a/b/c")));
    assert_eq!(ab.join(".."), Err(FsError::BadPath));
    assert_eq!(ab.join("c/d"), Err(FsError::BadPath));
    assert!(p("/a/b/c").is_within(&ab));
    assert!(ab.is_within(&ab));
    assert!(ab.is_within(&FsPath::root()));
    assert!(!p("/a/bc").is_within(&ab));
    assert!(!p("/a").is_within(&ab));
}

#[test]
fn security_objects_and_operations() {
    let f = p("/docs/plan");
    assert_eq!(f.object_name(), "fs:/docs/plan");
    assert_eq!(FsPath::root().object_name(), "fs:/");
    let c = |object: &str, operation| Check {
        object: object.to_owned(),
        operation,
    };
    assert_eq!(
        checks(&Access::Open(&f, OpenFlags::READ)),
        [c("fs:/docs/plan", Operation::Read)]
    );
    assert_eq!(
        checks(&Access::Open(
            &f,
            OpenFlags::READ | OpenFlags::WRITE | OpenFlags::CREATE
        )),
        [
            c("fs:/docs/plan", Operation::Read),
            c("fs:/docs/plan", Operation::Write),
            c("fs:/docs/plan", Operation::Create)
        ]
    );
    assert_eq!(checks(&Access::Read(&f)), [c("fs:/docs/plan", Operation::Read)]);
    assert_eq!(checks(&Access::Write(&f)), [c("fs:/docs/plan", Operation::Write)]);
    assert_eq!(checks(&Access::Stat(&f)), [c("fs:/docs/plan", Operation::Read)]);
    assert_eq!(checks(&Access::List(&p("/docs"))), [c("fs:/docs", Operation::List)]);
    assert_eq!(checks(&Access::Mkdir(&p("/docs"))), [c("fs:/docs", Operation::Create)]);
    assert_eq!(checks(&Access::Remove(&f)), [c("fs:/docs/plan", Operation::Delete)]);
    assert_eq!(
        checks(&Access::Rename(&f, &p("/old"))),
        [
            c("fs:/docs/plan", Operation::Delete),
            c("fs:/old", Operation::Create),
            c("fs:/old", Operation::Write)
        ]
    );
    assert_eq!(checks(&Access::Usage), [c("fs:/", Operation::Read)]);
    assert_eq!(checks(&Access::Sync), [c("fs:/", Operation::Write)]);
    // The security server's patterns match them as usual.
    assert!(security_srv::matches("fs:/docs/*", &f.object_name()));
    assert!(!security_srv::matches("fs:/doc/*", &f.object_name()));
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._+=,@~-]{1,20}".prop_filter("not . or ..", |n| n != "." && n != "..")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any string: no panic; what is accepted follows the rules and
    /// round-trips.
    #[test]
    fn arbitrary_strings(s in any::<String>()) {
        if let Ok(path) = FsPath::parse(&s) {
            prop_assert_eq!(path.as_str(), s.as_str());
            prop_assert!(s.starts_with('/') && s.len() <= PATH_MAX);
            prop_assert_eq!(FsPath::parse(path.as_str()), Ok(path.clone()));
            prop_assert!(path.object_name().starts_with("fs:/"));
        }
    }

    /// Any bytes: no panic.
    #[test]
    fn arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = FsPath::parse_bytes(&b);
    }

    /// Strings near the rules: slashes, dots and allowed bytes.
    #[test]
    fn near_misses(s in "[/.a_*: ]{0,12}") {
        let accepted = FsPath::parse(&s).is_ok();
        let expect = s == "/"
            || (s.starts_with('/')
                && s[1..].split('/').all(|n| !n.is_empty() && n != "." && n != ".."
                    && n.bytes().all(|b| b == b'.' || b == b'a' || b == b'_')));
        prop_assert_eq!(accepted, expect, "{:?}", s);
    }

    /// Paths built from valid names are accepted (or too long), and
    /// parent/name/join take them apart and back.
    #[test]
    fn built_paths(names in proptest::collection::vec(name(), 1..16)) {
        let text = format!("/{}", names.join("/"));
        match FsPath::parse(&text) {
            Ok(path) => {
                prop_assert_eq!(path.name(), names.last().map(String::as_str));
                let parent = path.parent().expect("not root");
                prop_assert_eq!(parent.join(path.name().expect("a name")), Ok(path.clone()));
                prop_assert!(path.is_within(&parent));
            }
            Err(e) => {
                prop_assert_eq!(e, FsError::NameTooLong);
                prop_assert!(text.len() > PATH_MAX);
            }
        }
    }
}
