//! Guards the L3/L4/L7 decision widget on /topics/load-balancer and /topics/custom-protocols (W6 in
//! facts.md): ←/→/End walk the devices L3, L4, L7, each verdict appearing only when its step is reached;
//! "/api → pool B" is refused at L3 and L4 and applied at L7 over plain HTTP, and refused everywhere once
//! the balancer stops terminating TLS; predict mode puts no verdict (nor the static tables) in the page
//! until the server has graded the ticked layers; a 360 px phone has no sideways scroll and no packet
//! text under 12 px; without JavaScript every scenario is a table; no console errors.

use crate::support::tap as click;
use crate::support::{Browser, keys, wait_for};
use crate::widget_support::{
    finish, focus_widget, open_widget, phone, smallest_svg_text, toggle_predict_mode, widget_step,
    without_javascript,
};

#[tokio::test(flavor = "multi_thread")]
async fn keys_walk_the_layers_and_the_builder_changes_the_verdict() {
    let b = Browser::start().await;
    open_widget(&b, "lb-layers", "/topics/load-balancer").await;
    assert_eq!(widget_step(&b, "lb-layers").await, "0");
    assert_eq!(
        b.count("#widget-lb-layers .lb-chip").await,
        0,
        "no verdict before L3"
    );
    assert!(
        b.text("#widget-lb-layers [data-lb-packet]")
            .await
            .contains("GET /api/items")
    );

    focus_widget(&b, "lb-layers").await;
    b.press(keys::RIGHT).await;
    assert_eq!(widget_step(&b, "lb-layers").await, "1");
    assert_eq!(
        b.count("#widget-lb-layers .lb-chip").await,
        1,
        "only L3's verdict"
    );
    assert!(
        b.text("#widget-lb-layers [data-lb-verdict]")
            .await
            .contains("使えない")
    );
    // L3 reads the IP header only: three fields framed.
    assert_eq!(b.count("#widget-lb-layers .lb-f.lb-seen").await, 3);
    b.press(keys::RIGHT).await;
    assert_eq!(b.count("#widget-lb-layers .lb-f.lb-seen").await, 6);
    assert!(
        b.text("#widget-lb-layers [data-lb-verdict]")
            .await
            .contains("使えない")
    );
    b.press(keys::END).await;
    assert_eq!(widget_step(&b, "lb-layers").await, "3");
    assert!(
        b.text("#widget-lb-layers [data-lb-verdict]")
            .await
            .contains("使える — プール B へ")
    );
    assert_eq!(
        b.count("#widget-lb-layers .lb-f.lb-key[data-lb-field=path]")
            .await,
        1
    );
    assert!(
        b.text("#widget-lb-layers [data-lb-outcome]")
            .await
            .contains("L7")
    );
    b.press(keys::LEFT).await;
    assert_eq!(widget_step(&b, "lb-layers").await, "2");
    let panel = b.text("#widget-lb-layers .lb-detail").await;
    assert!(
        !["false", "undefined", "null"]
            .iter()
            .any(|w| panel.contains(w)),
        "{panel}"
    );

    // HTTPS through a balancer that does not terminate TLS: the path is out of reach at every layer.
    click(&b, "#widget-lb-layers .lb-builder summary").await;
    b.eval("const s = document.getElementById('lb-tls'); s.value = 'tls'; s.dispatchEvent(new Event('change')); return 1").await;
    wait_for(&b, "location.hash.includes('tls=tls')", "TLS on").await;
    click(&b, "#lb-terminate").await;
    wait_for(
        &b,
        "location.hash.includes('terminate=false')",
        "termination off",
    )
    .await;
    assert!(
        b.text("#widget-lb-layers [data-lb-packet]")
            .await
            .contains("宛先ポート 443")
    );
    focus_widget(&b, "lb-layers").await;
    b.press(keys::END).await;
    assert!(
        b.text("#widget-lb-layers [data-lb-verdict]")
            .await
            .contains("使えない")
    );
    assert!(
        b.text("#widget-lb-layers .lb-explain")
            .await
            .contains("SNI")
    );
    assert_eq!(b.count("#widget-lb-layers .lb-f.lb-enc").await, 4);
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_shows_no_verdict_until_the_server_grades() {
    let b = Browser::start().await;
    open_widget(
        &b,
        "lb-layers",
        "/topics/custom-protocols#w=lb-layers&scenario=port-db",
    )
    .await;
    // The lab's real captures (which backend answered) are on the page until a prediction starts.
    assert_eq!(b.count("#widget-lb-layers .widget-captures").await, 1);
    toggle_predict_mode(&b, "lb-layers").await;
    wait_for(
        &b,
        "document.querySelector('#widget-lb-layers form.lb-pform')",
        "the predict form",
    )
    .await;
    for css in [
        "#widget-lb-layers .lb-chip",
        "#widget-lb-layers [data-lb-verdict]",
        "#widget-lb-layers [data-lb-outcome]",
        "#widget-lb-layers .lb-f.lb-seen",
        "#widget-lb-layers [data-widget-static]",
        "#widget-lb-layers .widget-captures",
        "#widget-lb-layers .lb-devices",
    ] {
        assert_eq!(
            b.count(css).await,
            0,
            "{css} while the prediction is pending"
        );
    }
    let text = b
        .eval("return document.getElementById('widget-lb-layers').textContent")
        .await;
    let text = text.as_str().unwrap();
    assert!(
        !text.contains("使えない")
            && !text.contains('✓')
            && !text.contains('✗')
            && !text.contains("へ（"),
        "no verdict words: {text}"
    );
    focus_widget(&b, "lb-layers").await;
    b.press(keys::END).await;
    assert_eq!(
        b.count("#widget-lb-layers .lb-chip").await,
        0,
        "keys do not step"
    );

    // "Only L4" forgets that the L7 device uses the lower layers too.
    // Ticked from the keyboard: focus the box, Space.
    b.eval("document.querySelector(\"#widget-lb-layers input[name=layers][value='4']\").focus(); return 1")
        .await;
    b.press(keys::SPACE).await;
    assert_eq!(
        b.eval("return document.querySelector(\"#widget-lb-layers input[name=layers][value='4']\").checked").await,
        true,
        "L4 ticked"
    );
    b.press(keys::ENTER).await;
    wait_for(
        &b,
        "document.querySelector('#widget-lb-layers .lb-verdicts')",
        "the verdict",
    )
    .await;
    assert!(
        b.text("#widget-lb-layers .lb-feedback")
            .await
            .contains("使えるのは L4・L7")
    );
    assert!(
        b.text("#widget-lb-layers [data-lb-check='7']")
            .await
            .starts_with("✗")
    );
    assert!(
        b.text("#widget-lb-layers [data-lb-check='4']")
            .await
            .starts_with("✓")
    );
    assert_eq!(widget_step(&b, "lb-layers").await, "3");
    assert_eq!(b.count("#widget-lb-layers .lb-chip").await, 3);
    assert_eq!(b.count("#widget-lb-layers [data-widget-static]").await, 1);
    assert_eq!(b.count("#widget-lb-layers .widget-captures").await, 1);
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_fits_the_packet_with_legible_text() {
    let b = phone().await;
    open_widget(
        &b,
        "lb-layers",
        "/topics/load-balancer#w=lb-layers&scenario=host-ech&step=3",
    )
    .await;
    assert_eq!(widget_step(&b, "lb-layers").await, "3");
    let overflow = b
        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(overflow.as_i64(), Some(0), "no sideways scroll at 360 px");
    let smallest = smallest_svg_text(&b, "#widget-lb-layers .lb-packet").await;
    assert!(smallest >= 12.0, "packet text {smallest:.1} px at 360 px");
    // Values fit inside their field boxes.
    let fits = b
        .eval(
            "const svg = document.querySelector('#widget-lb-layers .lb-packet');
             return [...svg.querySelectorAll('.lb-f')].every(g => {
               const box = g.querySelector('rect').getBBox();
               const [label, value] = g.querySelectorAll('text');
               return label.getBBox().x + label.getBBox().width < value.getBBox().x && value.getBBox().x + value.getBBox().width <= box.x + box.width;
             });",
        )
        .await;
    assert_eq!(fits, true, "labels and values do not overlap");
    b.screenshot("lb-layers-phone").await;
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_javascript_every_layer_scenario_is_a_table() {
    let b = without_javascript().await;
    b.open("/topics/custom-protocols").await;
    assert_eq!(
        b.count("#widget-lb-layers details[data-scenario]").await,
        10
    );
    assert_eq!(b.count("#widget-lb-layers .lb-devices").await, 10);
    assert!(
        b.text("#widget-lb-layers details[data-scenario=path-http] .lb-devices")
            .await
            .contains("使えない")
    );
    b.quit().await;
}
