//! What the widget tests share: a widget is `#widget-{name}` with its root `[data-widget-root]`, whose
//! `data-state` says `ready` once its scenario is drawn and `data-step` the step shown. Open a topic and
//! wait for its widget, read or wait for its step, focus it for the step keys, pick a setting, switch to
//! 予想モード, look for text anywhere in its DOM, and start the 360 px phone (in the dark theme) the
//! phone tests use.

use crate::support::{Browser, Options, PHONE, sideways_scroll, tap, wait_for};

/// The script that is true once widget `name` has drawn its scenario.
fn ready_script(name: &str) -> String {
    format!(
        "document.querySelector('#widget-{name} [data-widget-root]')?.dataset.state === 'ready'"
    )
}

/// Waits until widget `name` has drawn its scenario (after a load, or a change that reloads it).
pub async fn wait_ready(b: &Browser, name: &str) {
    wait_for(
        b,
        &ready_script(name),
        &format!("the {name} widget to load"),
    )
    .await;
}

/// Opens `path` and waits for widget `name` on it.
pub async fn open_widget(b: &Browser, name: &str, path: &str) {
    b.open(path).await;
    wait_ready(b, name).await;
}

/// The step widget `name` shows (its root's `data-step`), "" when it has none.
pub async fn widget_step(b: &Browser, name: &str) -> String {
    b.eval(&format!(
        "return document.querySelector('#widget-{name} [data-widget-root]').dataset.step"
    ))
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// Gives widget `name` the keyboard focus, so the step keys (←/→/Home/End) go to it.
pub async fn focus_widget(b: &Browser, name: &str) {
    b.eval(&format!(
        "document.getElementById('widget-{name}').focus(); return 1"
    ))
    .await;
}

/// Picks `value` in the select `select` of widget `name`, as a change by the user, and waits for the
/// run it loads.
pub async fn choose(b: &Browser, name: &str, select: &str, value: &str) {
    b.eval(&format!(
        "const s = document.querySelector('#widget-{name} select[name={select}]'); s.value = '{value}'; \
         document.querySelector('#widget-{name} [data-widget-root]').dataset.state = 'loading'; \
         s.dispatchEvent(new Event('change')); return 1"
    ))
    .await;
    wait_ready(b, name).await;
}

/// Switches widget `name`'s 予想モード on or off with its button.
pub async fn toggle_predict_mode(b: &Browser, name: &str) {
    tap(
        b,
        &format!("#widget-{name} button[class$='predict-toggle']"),
    )
    .await;
}

/// Whether `text` appears anywhere in widget `name`'s DOM, hidden or not: what a prediction must not
/// give away is not in the page at all.
pub async fn in_widget_dom(b: &Browser, name: &str, text: &str) -> bool {
    b.eval(&format!(
        "return document.getElementById('widget-{name}').textContent.includes({text:?})"
    ))
    .await
        == true
}

/// A browser the size of a 360 px phone.
pub async fn phone() -> Browser {
    Browser::start_with(Options {
        size: PHONE,
        ..Options::default()
    })
    .await
}

/// A 360 px phone that has switched the site to the dark theme with its button (kept in a cookie).
pub async fn dark_phone() -> Browser {
    let b = phone().await;
    b.open("/").await;
    b.click("[data-theme-toggle]").await;
    b
}

/// A desktop browser with JavaScript off: the page as its server-rendered tables.
pub async fn without_javascript() -> Browser {
    Browser::start_with(Options {
        javascript: false,
        ..Options::default()
    })
    .await
}

/// The smallest text in the SVGs `svg` (a selector) that are on screen, in CSS pixels as drawn: each font
/// size times its SVG's scale (its box's width over its viewBox's), so a viewBox shrunk to a phone
/// counts. 0 when there is no such text.
pub async fn smallest_svg_text(b: &Browser, svg: &str) -> f64 {
    b.eval(&format!(
        "return Math.min(...[...document.querySelectorAll({svg:?})]
           .filter(svg => svg.getBoundingClientRect().width > 0)
           .flatMap(svg => {{
             const k = svg.viewBox.baseVal && svg.viewBox.baseVal.width
               ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width
               : svg.getScreenCTM().a;
             return [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * k);
           }}))"
    ))
    .await
    .as_f64()
    .unwrap_or(0.0)
}

/// Ends a widget test: the page logged no console errors, then the session quits.
pub async fn finish(b: Browser) {
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.quit().await;
}

/// The page fits a phone: it does not scroll sideways, and no text in the SVGs `svg` is drawn under
/// 12 px (`what` names the view in a failure).
pub async fn assert_fits_the_phone(b: &Browser, svg: &str, what: &str) {
    assert_eq!(sideways_scroll(b).await, 0, "{what}: no sideways scroll");
    let smallest = smallest_svg_text(b, svg).await;
    assert!(smallest >= 12.0, "{what}: diagram text {smallest:.2} px");
}
