//! The e-mails tell partners and reviewers which `gccctl` command takes the next step: each
//! command a template names must be one `gccctl` has, down to its subcommand.

use clap::CommandFactory;

/// The words after each `gccctl ` in `text`, up to two, cut where a name ends.
fn commands_named(text: &str) -> Vec<Vec<String>> {
    text.match_indices("gccctl ")
        .map(|(i, m)| {
            text[i + m.len()..]
                .split_whitespace()
                .take(2)
                .map(|w| w.chars().take_while(|c| c.is_ascii_lowercase() || *c == '-').collect::<String>())
                .take_while(|w| !w.is_empty())
                .collect()
        })
        .collect()
}

#[test]
fn every_command_a_mail_template_names_is_a_gccctl_command() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../services");
    let cli = gccctl::cli::Cli::command();
    let mut checked = 0;
    for service in std::fs::read_dir(&root).expect("services") {
        let dir = service.expect("service").path().join("templates/mail");
        let Ok(templates) = std::fs::read_dir(&dir) else { continue };
        for t in templates {
            let path = t.expect("template").path();
            let text = std::fs::read_to_string(&path).expect("template text");
            for words in commands_named(&text) {
                let top = words.first().unwrap_or_else(|| panic!("{}: `gccctl` with no command", path.display()));
                let cmd = cli
                    .find_subcommand(top)
                    .unwrap_or_else(|| panic!("{}: `gccctl {top}` is no gccctl command", path.display()));
                if cmd.has_subcommands() {
                    let sub = words.get(1).map(String::as_str).unwrap_or("");
                    assert!(
                        cmd.find_subcommand(sub).is_some(),
                        "{}: `gccctl {top} {sub}` is no gccctl command",
                        path.display()
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 5, "only {checked} commands found in the templates: were they moved?");
}

#[test]
fn a_misnamed_command_is_found() {
    let cli = gccctl::cli::Cli::command();
    let words = &commands_named("answer with `gccctl validation answer`.")[0];
    assert_eq!(words, &["validation", "answer"]);
    assert!(
        cli.find_subcommand("validation").is_none(),
        "`gccctl validation` must not exist for this check to mean anything"
    );
    assert_eq!(commands_named("run `gccctl special-qualifications {{customer}}`")[0], ["special-qualifications"]);
}
