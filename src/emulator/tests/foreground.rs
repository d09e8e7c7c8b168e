//! What `bulkflow emulator` prints of itself.

use crate::emulator::foreground::banner;
use crate::emulator::EmulatorConfig;

#[test]
fn the_banner_names_the_secret_id_by_four_characters_only() {
    let config = EmulatorConfig {
        secret_id: "AKIDrealLOOKINGsecretID0123".to_owned(),
        ..EmulatorConfig::default()
    };
    let line = banner(&config);
    assert!(line.contains("secret id AKID*** (rate 20/s"), "{line}");
    assert!(!line.contains("realLOOKING"), "{line}");
    // The default id is shown the same way.
    assert!(banner(&EmulatorConfig::default()).contains("secret id AKID***"));
}
