//! Subject labels.
//!
//! A label is a path of name segments, `sys/shell` or `sys/app/worker`. The
//! launcher of a component gives it its label as the launcher's own label,
//! a `/` and a name: a component can never choose its label, and a child's
//! label always starts with its parent's, so a parent cannot be impersonated
//! by its children. Segments are 1 to 24 of `[A-Za-z0-9_-]`.

use alloc::string::String;

/// The root of every label: components the root task launches are `sys/NAME`.
pub const ROOT: &str = "sys";

/// Most characters in a label.
pub const LABEL_MAX: usize = 96;

/// Why a label could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelError {
    /// The name is empty, too long, or has a character outside `[A-Za-z0-9_-]`.
    BadName,
    /// The resulting label would be longer than [`LABEL_MAX`].
    TooLong,
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty() && s.len() <= 24 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The label of a child named `name` launched by a subject labelled `parent`.
pub fn child(parent: &str, name: &str) -> Result<String, LabelError> {
    if !valid_segment(name) {
        return Err(LabelError::BadName);
    }
    if parent.len() + 1 + name.len() > LABEL_MAX {
        return Err(LabelError::TooLong);
    }
    let mut l = String::with_capacity(parent.len() + 1 + name.len());
    l.push_str(parent);
    l.push('/');
    l.push_str(name);
    Ok(l)
}

/// True if `label` is `ancestor` or lies below it.
pub fn is_within(label: &str, ancestor: &str) -> bool {
    label == ancestor || (label.starts_with(ancestor) && label.as_bytes().get(ancestor.len()) == Some(&b'/'))
}

/// True if `label` is well formed.
pub fn is_valid(label: &str) -> bool {
    label.len() <= LABEL_MAX && label.split('/').all(valid_segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_prefixed_and_names_checked() {
        assert_eq!(child(ROOT, "shell").as_deref(), Ok("sys/shell"));
        assert_eq!(child("sys/app", "w-1").as_deref(), Ok("sys/app/w-1"));
        assert_eq!(child(ROOT, "a/b"), Err(LabelError::BadName));
        assert_eq!(child(ROOT, ""), Err(LabelError::BadName));
        assert_eq!(child(ROOT, "x y"), Err(LabelError::BadName));
        let long = "a".repeat(24);
        let mut l = String::from(ROOT);
        for _ in 0..3 {
            l = child(&l, &long).unwrap();
        }
        assert_eq!(child(&l, &long), Err(LabelError::TooLong));
    }

    #[test]
    fn ancestry() {
        assert!(is_within("sys/app/w", "sys/app"));
        assert!(is_within("sys/app", "sys/app"));
        assert!(!is_within("sys/apple", "sys/app"));
        assert!(is_valid("sys/app"));
        assert!(!is_valid("sys//app"));
    }
}
