//! The harness itself: moto starts, the proxy counts, seeding creates what it says, reset empties.

use super::Moto;
use super::seed::{self, DEFAULT_ACCOUNT, SECOND_ACCOUNT, SeedUser};

#[test]
fn action_is_read_from_the_form_body_then_the_query() {
    assert_eq!(
        super::action_of(None, b"Action=ListUsers&Version=2010-05-08").as_deref(),
        Some("ListUsers")
    );
    assert_eq!(
        super::action_of(Some("Version=1&Action=GetUser"), b"").as_deref(),
        Some("GetUser")
    );
    assert_eq!(super::action_of(Some("a=b"), b"{}"), None);
}

#[test]
fn seeds_users_counts_requests_and_resets() {
    let moto = Moto::start();
    let seeded = seed::seed_users(&moto.endpoint(), DEFAULT_ACCOUNT, &seed::standard_users())
        .expect("seed standard users");
    let alice = &seeded[0];
    assert_eq!(alice.name, "alice");
    assert_eq!(alice.access_key_ids.len(), 1);
    assert_eq!(
        alice.mfa_serial.as_deref(),
        Some("arn:aws:iam::123456789012:mfa/alice")
    );
    assert_eq!(seeded[2].access_key_ids.len(), 2);
    assert!(seeded[1].mfa_serial.is_none());

    // alice: user, login profile, 2 MFA calls, key; bob: user, profile, key;
    // carol: user, 2 keys, 1 deactivation; dave: user.
    let mut seen = moto.requests();
    seen.sort();
    let mut expected = vec![
        "CreateUser",
        "CreateLoginProfile",
        "CreateVirtualMFADevice",
        "EnableMFADevice",
        "CreateAccessKey",
        "CreateUser",
        "CreateLoginProfile",
        "CreateAccessKey",
        "CreateUser",
        "CreateAccessKey",
        "CreateAccessKey",
        "UpdateAccessKey",
        "CreateUser",
    ];
    expected.sort();
    assert_eq!(seen, expected);

    moto.clear_requests();
    let names = seed::list_user_names(&moto.endpoint(), DEFAULT_ACCOUNT).expect("list users");
    assert_eq!(names, ["alice", "bob", "carol", "dave"]);
    assert_eq!(moto.requests(), ["ListUsers"]);

    moto.reset();
    assert!(moto.requests().is_empty());
    let names = seed::list_user_names(&moto.direct_endpoint(), DEFAULT_ACCOUNT).expect("list");
    assert!(names.is_empty(), "reset left users: {names:?}");
    assert!(moto.requests().is_empty(), "direct requests must not count");
}

#[test]
fn accounts_are_separate_and_reached_by_assume_role() {
    let moto = Moto::start();
    let endpoint = moto.direct_endpoint();
    let arn = seed::create_reader_role(&endpoint, SECOND_ACCOUNT).expect("role");
    assert_eq!(arn, "arn:aws:iam::111111111111:role/evidence-reader");
    seed::seed_users(&endpoint, SECOND_ACCOUNT, &[SeedUser::new("erin")]).expect("seed");
    seed::seed_users(&endpoint, DEFAULT_ACCOUNT, &seed::many_users(3)).expect("seed");
    seed::seed_password_policy(&endpoint, SECOND_ACCOUNT, &Default::default()).expect("policy");

    assert_eq!(
        seed::list_user_names(&endpoint, SECOND_ACCOUNT).expect("list"),
        ["erin"]
    );
    assert_eq!(
        seed::list_user_names(&endpoint, DEFAULT_ACCOUNT).expect("list"),
        ["user-0000", "user-0001", "user-0002"]
    );
}

#[test]
fn moto_stops_on_drop() {
    let moto = Moto::start();
    let address = moto
        .direct_endpoint()
        .trim_start_matches("http://")
        .to_string();
    let pid = moto.child.id();
    drop(moto);
    assert!(
        std::net::TcpStream::connect(&address).is_err(),
        "moto still listens on {address}"
    );
    // The process is reaped: signal 0 finds no such process.
    let alive = unsafe { libc::kill(pid as i32, 0) } == 0;
    assert!(!alive, "moto_server {pid} still running");
}
