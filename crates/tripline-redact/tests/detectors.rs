//! Data-driven checks over the built-in detector file: every true-positive sample is
//! found by its own detector, no false-positive sample is flagged by any detector.

use tripline_redact::{Confidence, Error, SecretScanner};

#[test]
fn builtin_file_has_at_least_forty_detectors_with_samples() {
    let scanner = SecretScanner::builtin();
    assert!(scanner.len() >= 40, "only {} detectors", scanner.len());
    for spec in scanner.specs() {
        assert!(
            !spec.true_positives.is_empty(),
            "{} has no true positive",
            spec.id
        );
        assert!(
            !spec.false_positives.is_empty(),
            "{} has no false positive",
            spec.id
        );
        assert!(
            !spec.description.is_empty(),
            "{} has no description",
            spec.id
        );
    }
}

#[test]
fn every_sample_behaves_as_declared() {
    let problems = SecretScanner::builtin().check_samples();
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        problems.is_empty(),
        "{} sample problems:\n{}",
        problems.len(),
        text.join("\n")
    );
}

#[test]
fn every_true_positive_is_found_with_its_id_and_fully_covered() {
    let scanner = SecretScanner::builtin();
    for spec in scanner.specs() {
        for sample in spec.true_positive_samples() {
            let own: Vec<_> = scanner
                .scan_all(&sample)
                .into_iter()
                .filter(|f| *f.detector == *spec.id)
                .collect();
            assert!(!own.is_empty(), "{}: not found in {sample:?}", spec.id);
            let merged = scanner.scan(&sample);
            for f in &own {
                assert!(
                    merged.iter().any(|m| m.start <= f.start && f.end <= m.end),
                    "{}: merged findings do not cover {:?}",
                    spec.id,
                    f.secret(&sample)
                );
            }
            assert!(
                scanner.contains_secret(&sample),
                "{}: contains_secret false",
                spec.id
            );
        }
        for sample in spec.false_positive_samples() {
            assert!(
                scanner.scan(&sample).is_empty(),
                "{}: flagged {sample:?}",
                spec.id
            );
            assert!(
                !scanner.contains_secret(&sample),
                "{}: contains_secret {sample:?}",
                spec.id
            );
        }
    }
}

#[test]
fn findings_are_sorted_and_disjoint() {
    let scanner = SecretScanner::builtin();
    let mut text = String::new();
    for spec in scanner.specs() {
        for s in spec.true_positive_samples() {
            text.push_str(&s);
            text.push_str("\n-- ");
        }
    }
    let found = scanner.scan(&text);
    assert!(found.len() >= scanner.len());
    for pair in found.windows(2) {
        assert!(pair[0].end <= pair[1].start, "{pair:?} overlap");
    }
    for f in &found {
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
    }
}

#[test]
fn aws_example_key_is_a_high_confidence_secret() {
    let scanner = SecretScanner::builtin();
    let text = "my aws key is AKIAIOSFODNN7EXAMPLE and secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY; go";
    let found = scanner.scan(text);
    let secrets: Vec<&str> = found.iter().map(|f| f.secret(text)).collect();
    assert!(secrets.contains(&"AKIAIOSFODNN7EXAMPLE"), "{secrets:?}");
    assert!(
        secrets.contains(&"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        "{secrets:?}"
    );
    assert!(scanner.contains_secret_at_least(text, Confidence::High));
    assert!(!scanner.contains_secret("nothing to see here"));
}

#[test]
fn keyword_prefilter_is_case_insensitive_but_regex_decides() {
    let scanner = SecretScanner::from_toml(
        r#"
[[detector]]
id = "demo"
description = "demo"
keywords = ["DEMO_"]
regex = 'demo_[0-9]{4}'
confidence = "high"
"#,
    )
    .unwrap();
    assert!(scanner.contains_secret("x demo_1234 y"));
    assert!(
        !scanner.contains_secret("x DEMO_1234 y"),
        "regex is case-sensitive"
    );
    assert!(!scanner.contains_secret("x demo_12 y"));
}

#[test]
fn entropy_and_allow_list_reject_candidates() {
    let scanner = SecretScanner::from_toml(
        r#"
[[detector]]
id = "kv"
description = "kv"
keywords = ["tok="]
regex = 'tok=([A-Za-z0-9]{8,})'
entropy = 2.5
allow = ['^PLACEHOLDER']
confidence = "low"
"#,
    )
    .unwrap();
    assert!(scanner.contains_secret("tok=a1B2c3D4e5"));
    assert!(
        !scanner.contains_secret("tok=aaaaaaaaaaaa"),
        "entropy too low"
    );
    assert!(
        !scanner.contains_secret("tok=PLACEHOLDERx9Z8"),
        "allow-listed"
    );
    let found = scanner.scan("tok=a1B2c3D4e5");
    assert_eq!(
        (found[0].start, found[0].end),
        (4, 14),
        "range is the secret group"
    );
}

#[test]
fn user_file_replaces_disables_and_adds() {
    let user = r#"
disable = ["twilio_api_key"]

[[detector]]
id = "github_pat"
description = "stricter github"
keywords = ["ghp_"]
regex = 'ghp_[0-9]{36}'
confidence = "high"

[[detector]]
id = "acme_token"
description = "in-house token"
keywords = ["acme_"]
regex = 'acme_[a-z]{10}'
confidence = "high"
"#;
    let base = SecretScanner::builtin();
    let scanner = SecretScanner::builtin_with_user_toml(user).unwrap();
    assert_eq!(scanner.len(), base.len());
    assert!(scanner.contains_secret("use acme_abcdefghij now"));
    assert!(!scanner.contains_secret("ghp_aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3"));
    assert!(!scanner.contains_secret("TWILIO=SK0123456789abcdef0123456789abcdef"));
    assert!(base.contains_secret("TWILIO=SK0123456789abcdef0123456789abcdef"));
}

#[test]
fn invalid_files_are_errors_not_panics() {
    let bad_regex = "[[detector]]\nid='x'\ndescription='x'\nregex='('\nconfidence='high'\n";
    assert!(matches!(
        SecretScanner::from_toml(bad_regex),
        Err(Error::Regex { .. })
    ));
    let bad_id = "[[detector]]\nid='X-Y'\ndescription='x'\nregex='a'\nconfidence='high'\n";
    assert!(matches!(
        SecretScanner::from_toml(bad_id),
        Err(Error::BadId(_))
    ));
    let bad_group =
        "[[detector]]\nid='x'\ndescription='x'\nregex='a'\nsecret_group=1\nconfidence='high'\n";
    assert!(matches!(
        SecretScanner::from_toml(bad_group),
        Err(Error::MissingGroup { .. })
    ));
    let dup = format!(
        "{0}{0}",
        "[[detector]]\nid='x'\ndescription='x'\nregex='a'\nconfidence='high'\n"
    );
    assert!(matches!(
        SecretScanner::from_toml(&dup),
        Err(Error::DuplicateId(_))
    ));
    assert!(matches!(
        SecretScanner::from_toml("detector = 3"),
        Err(Error::Toml(_))
    ));
    assert!(SecretScanner::from_toml("").unwrap().is_empty());
}

#[test]
fn shared_builtin_is_compiled_once() {
    let a = SecretScanner::shared_builtin();
    let b = SecretScanner::shared_builtin();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    assert_eq!(a.len(), SecretScanner::builtin().len());
}
