//! The condition expression language: `and`, `or`, `not`, parentheses, `1 of`/`all of`
//! with patterns and `them`. Precedence (loosest first): or, and, not, x of, ( ).

use crate::error::LocalError;
use crate::pattern::{SigmaStr, StrMatcher};

/// A parsed condition over search identifiers (by index).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond {
    /// all must hold
    And(Vec<Cond>),
    /// any must hold
    Or(Vec<Cond>),
    /// negation
    Not(Box<Cond>),
    /// a search identifier
    Ident(usize),
}

impl Cond {
    /// Evaluate the tree, asking `leaf` whether identifier `i` holds.
    pub fn eval_with(&self, leaf: &dyn Fn(usize) -> bool) -> bool {
        match self {
            Cond::And(v) => v.iter().all(|c| c.eval_with(leaf)),
            Cond::Or(v) => v.iter().any(|c| c.eval_with(leaf)),
            Cond::Not(c) => !c.eval_with(leaf),
            Cond::Ident(i) => leaf(*i),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Word(String),
}

fn tokenize(s: &str) -> Result<Vec<Token>, LocalError> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in s.chars() {
        match c {
            '(' | ')' | ' ' | '\t' | '\n' | '\r' => {
                if !word.is_empty() {
                    out.push(Token::Word(std::mem::take(&mut word)));
                }
                match c {
                    '(' => out.push(Token::Open),
                    ')' => out.push(Token::Close),
                    _ => {}
                }
            }
            '|' => return Err(LocalError::new("unsupported: aggregation expressions ('| count() ...') in condition; use a correlation rule")),
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(Token::Word(word));
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    idents: &'a [String],
}

/// Parse `text` over the rule's search identifiers.
pub fn parse(text: &str, idents: &[String]) -> Result<Cond, LocalError> {
    let toks = tokenize(text)?;
    if toks.is_empty() {
        return Err(LocalError::new("empty condition"));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        idents,
    };
    let c = p.or()?;
    if let Some(t) = p.toks.get(p.pos) {
        return Err(LocalError::new(format!(
            "unexpected {} in condition",
            show(t)
        )));
    }
    Ok(c)
}

fn show(t: &Token) -> String {
    match t {
        Token::Open => "'('".into(),
        Token::Close => "')'".into(),
        Token::Word(w) => format!("'{w}'"),
    }
}

fn is_kw(t: Option<&Token>, kw: &str) -> bool {
    matches!(t, Some(Token::Word(w)) if w.eq_ignore_ascii_case(kw))
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn or(&mut self) -> Result<Cond, LocalError> {
        let mut parts = vec![self.and()?];
        while is_kw(self.peek(), "or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Cond, LocalError> {
        let mut parts = vec![self.not()?];
        while is_kw(self.peek(), "and") {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::And(parts)
        })
    }

    fn not(&mut self) -> Result<Cond, LocalError> {
        if is_kw(self.peek(), "not") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, LocalError> {
        let Some(tok) = self.peek().cloned() else {
            return Err(LocalError::new("condition ends too early"));
        };
        self.pos += 1;
        match tok {
            Token::Open => {
                let c = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(LocalError::new("missing ')' in condition"));
                }
                self.pos += 1;
                Ok(c)
            }
            Token::Close => Err(LocalError::new("unexpected ')' in condition")),
            Token::Word(w) if is_kw(self.peek(), "of") => {
                self.pos += 1;
                let all = if w.eq_ignore_ascii_case("all") {
                    true
                } else if w == "1" || w.eq_ignore_ascii_case("any") {
                    false
                } else {
                    return Err(LocalError::new(format!(
                        "unsupported: '{w} of' (only '1 of' and 'all of')"
                    )));
                };
                let Some(Token::Word(target)) = self.peek().cloned() else {
                    return Err(LocalError::new(format!(
                        "'{w} of' needs a pattern or 'them'"
                    )));
                };
                self.pos += 1;
                let members = self.select(&target)?;
                let refs: Vec<Cond> = members.into_iter().map(Cond::Ident).collect();
                Ok(if refs.len() == 1 {
                    refs.into_iter().next().unwrap_or(Cond::Or(Vec::new()))
                } else if all {
                    Cond::And(refs)
                } else {
                    Cond::Or(refs)
                })
            }
            Token::Word(w)
                if ["and", "or", "not", "of"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                Err(LocalError::new(format!("unexpected '{w}' in condition")))
            }
            Token::Word(w) => match self.idents.iter().position(|i| *i == w) {
                Some(i) => Ok(Cond::Ident(i)),
                None => Err(LocalError::new(format!(
                    "condition names unknown search identifier '{w}'"
                ))),
            },
        }
    }

    fn select(&self, target: &str) -> Result<Vec<usize>, LocalError> {
        let picked: Vec<usize> = if target == "them" {
            (0..self.idents.len())
                .filter(|&i| !self.idents[i].starts_with('_'))
                .collect()
        } else {
            let m = StrMatcher::new(&SigmaStr::parse(target), true)?;
            (0..self.idents.len())
                .filter(|&i| m.is_match(&self.idents[i]))
                .collect()
        };
        if picked.is_empty() {
            return Err(LocalError::new(format!(
                "'{target}' matches no search identifier"
            )));
        }
        Ok(picked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn precedence_or_and_not() {
        let i = ids(&["a", "b", "c"]);
        assert_eq!(
            parse("a or b and c", &i).unwrap(),
            Cond::Or(vec![
                Cond::Ident(0),
                Cond::And(vec![Cond::Ident(1), Cond::Ident(2)])
            ])
        );
        assert_eq!(
            parse("not a and b", &i).unwrap(),
            Cond::And(vec![Cond::Not(Box::new(Cond::Ident(0))), Cond::Ident(1)])
        );
        assert_eq!(parse("(a)", &i).unwrap(), Cond::Ident(0));
    }

    #[test]
    fn of_patterns_and_them() {
        let i = ids(&["sel_a", "sel_b", "_x", "other"]);
        assert_eq!(
            parse("1 of sel*", &i).unwrap(),
            Cond::Or(vec![Cond::Ident(0), Cond::Ident(1)])
        );
        assert_eq!(
            parse("all of them", &i).unwrap(),
            Cond::And(vec![Cond::Ident(0), Cond::Ident(1), Cond::Ident(3)])
        );
        assert!(parse("1 of nope*", &i).is_err());
        assert!(parse("2 of them", &i).is_err());
    }

    #[test]
    fn errors_are_reported() {
        let i = ids(&["a"]);
        assert!(parse("a and", &i).is_err());
        assert!(parse("(a", &i).is_err());
        assert!(parse("b", &i).is_err());
        assert!(parse("a | count() > 3", &i)
            .unwrap_err()
            .0
            .starts_with("unsupported"));
        assert!(parse("", &i).is_err());
    }
}
