//! The admin API's request bodies for [`crate::fuzzing`], by route byte: 0 a new tenant, 1 a
//! tenant's new name, 2 a tenant's new configuration, 3 a new API key, 4 a new Hanko user,
//! 5 a Hanko user's new email address, 6 a new Hanko webhook, 7 a changed one. Each goes on
//! through the engine's own checks that need no store.

use latchkey_engine::admin::validate_config;
use latchkey_engine::model::TenantConfig;
use latchkey_engine::model::webhooks::{check_callback, check_events};

use super::hanko::{read_new_account, read_new_email};
use super::hanko_webhooks::read_hook;
use super::secrets::read_api_key_name;
use super::tenants::{read_config, read_display_name, read_new_tenant};
use crate::fuzzing::answered;

pub fn request(route: u8, body: &[u8]) {
    match route % 8 {
        0 => {
            if let Some((new, _)) = answered(read_new_tenant(body)) {
                let _ = validate_config(&new.config);
            }
        }
        1 => {
            let _ = answered(read_display_name(body));
        }
        2 => {
            if let Some(checked) = answered(read_config(body)) {
                let current = TenantConfig::new(
                    "login.example.com",
                    "Example",
                    vec!["https://login.example.com".to_owned()],
                );
                let _ = validate_config(&checked.into_config(Some(&current)));
            }
        }
        3 => {
            let _ = answered(read_api_key_name(body));
        }
        4 => {
            let _ = answered(read_new_account(body)).map(|new| format!("{new:?}"));
        }
        5 => {
            let _ = answered(read_new_email(body)).map(|new| format!("{new:?}"));
        }
        route => {
            let (action, needs_enabled) = if route == 6 {
                ("create webhook", false)
            } else {
                ("update webhook", true)
            };
            if let Some((callback, events, _)) = answered(read_hook(body, action, needs_enabled)) {
                let _ = check_callback(&callback);
                let _ = check_events(&events);
            }
        }
    }
}
