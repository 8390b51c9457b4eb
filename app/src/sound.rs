//! Sound, speech and vibration, through `public/sound.js` (loaded by every page). Browsers allow
//! audio only after a gesture, so screens that announce offer a "tap to enable sound" control.

/// The customer's ticket was called: chime and vibrate where the browser allows.
pub fn alert_called() {
    call("alertCalled", &[]);
}

/// Queues an announcement (chime, then `text` spoken with the voice of `lang`, a tag such as
/// `ja-JP`): never overlaps another.
pub fn announce(text: &str, lang: &str) {
    call("announce", &[text, lang]);
}

/// Unlocks audio; must run inside a user gesture. Answers whether sound is on.
pub fn enable() -> bool {
    call("enable", &[]);
    enabled()
}

pub fn enabled() -> bool {
    #[cfg(feature = "hydrate")]
    {
        sound_object()
            .and_then(|o| js_sys::Reflect::get(&o, &"enabled".into()).ok())
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

#[cfg(feature = "hydrate")]
fn sound_object() -> Option<wasm_bindgen::JsValue> {
    let window = leptos::prelude::window();
    js_sys::Reflect::get(&window, &"waitingroomSound".into())
        .ok()
        .filter(|v| v.is_object())
}

#[allow(unused_variables)]
fn call(name: &str, args: &[&str]) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(object) = sound_object() else { return };
        let Ok(function) = js_sys::Reflect::get(&object, &name.into()) else {
            return;
        };
        let Some(function) = function.dyn_ref::<js_sys::Function>() else {
            return;
        };
        let js_args = js_sys::Array::new();
        for arg in args {
            js_args.push(&(*arg).into());
        }
        let _ = function.apply(&object, &js_args);
    }
}
