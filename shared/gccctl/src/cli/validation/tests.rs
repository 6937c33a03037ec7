use clap::Parser;

use super::*;
use crate::cli::{Cli, Command};

fn submitted(extra: &[&str]) -> pb::CustomerValidation {
    let mut argv = vec![
        "gccctl",
        "customer-validation",
        "submit",
        "--tenant-id",
        "8f4c1d2e-1b7a-4a53-9a0e-2f1c3d4b5a69",
        "--legal-name",
        "Arlington County",
        "--domain",
        "arlingtonva.example.gov",
        "--address",
        "2100 Clarendon Blvd",
        "--contact-name",
        "Pat Doe",
        "--contact-email",
        "pat.doe@arlingtonva.example.gov",
        "--government-entity",
        "local",
    ];
    argv.extend_from_slice(extra);
    let cli = Cli::try_parse_from(argv).expect("the command line parses");
    let Command::CustomerValidation(ValidationCommand::Submit(s)) = cli.command else {
        panic!("parsed as another command: {:?}", cli.command)
    };
    submission(*s).customer_validation.expect("a validation")
}

/// R11: the outcome of the review is e-mailed to the partner's contact given at submission,
/// the indirect provider's copied; the command line carries both to the RPC.
#[test]
fn r11_the_partner_contacts_given_on_the_command_line_reach_the_submission() {
    let v = submitted(&[
        "--partner-contact-email",
        "gov@contoso.example",
        "--transacting-partner-contact-email",
        "gov@fabrikam.example",
    ]);
    assert_eq!(v.partner_contact_email, "gov@contoso.example");
    assert_eq!(v.transacting_partner_contact_email, "gov@fabrikam.example");
    assert_eq!(v.organization.expect("organization").contact_email, "pat.doe@arlingtonva.example.gov");
}

#[test]
fn r11_without_contact_flags_the_submission_asks_for_no_mail() {
    let v = submitted(&[]);
    assert_eq!((v.partner_contact_email.as_str(), v.transacting_partner_contact_email.as_str()), ("", ""));
}
