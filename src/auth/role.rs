//! What an account may do. Stored as text in `app_user.role`; everywhere else it is this enum, so a misspelt
//! role is a compile error rather than an account that silently matches nothing.

use std::fmt;

/// The kinds of account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An anonymous visitor's answers, kept until they sign up (upgraded in place) or log in (merged).
    Guest,
    /// Takes quizzes, sees their own progress, joins classes.
    Learner,
    /// Runs classes and sees their members' answers; cannot join a class as a member.
    Instructor,
}

impl Role {
    /// As stored in `app_user.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::Learner => "learner",
            Role::Instructor => "instructor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `app_user.role` value this build does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(String);

impl TryFrom<String> for Role {
    type Error = UnknownRole;

    fn try_from(stored: String) -> Result<Self, Self::Error> {
        match stored.as_str() {
            "guest" => Ok(Role::Guest),
            "learner" => Ok(Role::Learner),
            "instructor" => Ok(Role::Instructor),
            _ => Err(UnknownRole(stored)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_what_they_store() {
        for role in [Role::Guest, Role::Learner, Role::Instructor] {
            assert_eq!(Role::try_from(role.as_str().to_string()).unwrap(), role);
        }
        assert!(Role::try_from("admin".to_string()).is_err());
    }
}
