//! The read pages in a real browser: the overview agrees with the JSON API in its tables and its
//! charts; the as-of date, the review presets and the known-then/now switch move the numbers
//! exactly as the API says; every page renders, in each language, and is screenshot.

use std::collections::HashMap;

use serde_json::Value;

use super::browser::{self, Browser};
use super::history::{self, HistoryApp};
use crate::backends::{Backend, for_each_backend};

for_each_backend!(
    the_overview_shows_the_numbers_and_charts_of_the_api,
    the_as_of_date_and_the_clock_switch_change_the_numbers_as_the_api_says,
    every_page_renders_in_the_browser_in_each_language,
);

/// The status wire names, in table and chart order.
const STATUSES: [&str; 6] = [
    "planned",
    "in_progress",
    "delayed",
    "achieved",
    "discontinued",
    "withdrawn",
];

/// The chart colour of each status (as `src/web/charts.rs` draws them).
const COLORS: [&str; 6] = [
    "#767676", "#0072B2", "#B35900", "#007A5A", "#882255", "#000000",
];

/// "As known then" on the day of the first IMRF's last day.
const IMRF_2022_KNOWN_THEN: &str = "as_of=2022-05-20&known_at=2022-05-20T23%3A59%3A59.999999999Z";

async fn the_overview_shows_the_numbers_and_charts_of_the_api(backend: &impl Backend) {
    let test = "the_overview_shows_the_numbers_and_charts_of_the_api";
    let app = history::spawn(backend).await;
    let Some(browser) = browser::open(test, &app.base()).await else {
        return;
    };
    browser.goto("/?lang=en").await;

    let objectives = app.api("/v1/progress/objectives").await;
    let rows = browser.table("#objectives").await;
    assert_eq!(rows.len(), 23, "one row per GCM objective");
    for objective in objectives["objectives"].as_array().unwrap() {
        let row = &rows[&format!("objective-{}", objective["objective"])];
        assert_tally(
            row,
            objective,
            &format!("objective {}", objective["objective"]),
        );
    }
    let targets = app.api("/v1/progress/sdg-targets").await;
    let rows = browser.table("#sdg-targets").await;
    let api_targets = targets["sdg_targets"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        api_targets.len(),
        "the same SDG targets as the API"
    );
    for target in api_targets {
        let code = target["sdg_target"].as_str().unwrap();
        assert_tally(&rows[&format!("target-{code}")], target, code);
    }
    let mechanisms = app.api("/v1/mechanisms").await;
    let rows = browser.table("#mechanisms").await;
    for mechanism in mechanisms["mechanisms"].as_array().unwrap() {
        let id = mechanism["id"].as_str().unwrap();
        assert_tally(
            &rows[&format!("mechanism-{id}")],
            &mechanism["commitments"],
            id,
        );
    }
    let totals = browser.table("#mechanisms").await["mechanism-totals"].clone();
    let list = app.api("/v1/commitments?limit=500").await;
    assert_eq!(
        cell(&totals, "total"),
        list["items"].as_array().unwrap().len().to_string(),
        "the total counts every commitment once"
    );

    // The chart draws the same numbers: one bar segment per objective and status with
    // commitments, each as wide as its count.
    let svg = browser.html("#objectives-chart svg").await;
    assert_chart_matches(&svg, &objectives["objectives"]);
    assert!(
        svg.contains("role=\"img\""),
        "the chart is an image to assistive technology"
    );

    browser.screenshot("overview").await;
    browser.resize(390, 844).await;
    browser.screenshot("overview-phone").await;
    browser.close().await;
}

async fn the_as_of_date_and_the_clock_switch_change_the_numbers_as_the_api_says(
    backend: &impl Backend,
) {
    let test = "the_as_of_date_and_the_clock_switch_change_the_numbers_as_the_api_says";
    let app = history::spawn(backend).await;
    let Some(browser) = browser::open(test, &app.base()).await else {
        return;
    };
    browser.goto("/?lang=en").await;
    assert_objectives_match(&browser, &app, "").await;

    // The IMRF 2022 preset: as of its last day, as known then.
    browser.click("form.clock details summary").await;
    browser
        .click_and_load("form.clock details a[href*='as_of=2022-05-20']")
        .await;
    let location = browser.location().await;
    assert!(
        location.contains("as_of=2022-05-20") && location.contains("known=then"),
        "the preset is in the URL: {location}"
    );
    let then = assert_objectives_match(&browser, &app, IMRF_2022_KNOWN_THEN).await;
    assert!(
        browser.text("#clock-state").await.contains("2022-05-20"),
        "the page says which day it shows"
    );
    browser.screenshot("overview-imrf-2022-known-then").await;

    // The same day as known now: the late report (recorded in September 2022) counts.
    browser.click("#known-now").await;
    browser.click_and_load("#show").await;
    let location = browser.location().await;
    assert!(location.contains("as_of=2022-05-20") && location.contains("known=now"));
    let now = assert_objectives_match(&browser, &app, "as_of=2022-05-20").await;
    assert_eq!(then["10"]["by_status"]["in_progress"], 1, "known then");
    assert_eq!(then["10"]["by_status"]["delayed"], 0, "known then");
    assert_eq!(
        now["10"]["by_status"]["delayed"], 1,
        "known now: the late report"
    );
    browser.screenshot("overview-imrf-2022-known-now").await;

    // Another date, typed into the picker.
    browser.set_value("#as_of", "2019-12-31").await;
    browser.click_and_load("#show").await;
    let early = assert_objectives_match(&browser, &app, "as_of=2019-12-31").await;
    assert_eq!(
        early["20"]["commitments"], 1,
        "remittances was made in 2019"
    );
    assert_eq!(early["21"]["commitments"], 0, "return was made in 2022");

    // The permalink freezes the view.
    let permalink = browser
        .find("#permalink")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(permalink.contains("as_of=2019-12-31") && permalink.contains("lang=en"));
    browser.close().await;
}

async fn every_page_renders_in_the_browser_in_each_language(backend: &impl Backend) {
    let test = "every_page_renders_in_the_browser_in_each_language";
    let app = history::spawn(backend).await;
    let Some(browser) = browser::open(test, &app.base()).await else {
        return;
    };
    let skills = &app.commitments["skills"];
    let returning = &app.commitments["return"];

    // The skip link comes first, for keyboard users.
    browser.goto("/objectives/10?lang=fr").await;
    let first_link = browser.find("body a").await;
    assert_eq!(
        first_link.attr("href").await.unwrap().as_deref(),
        Some("#main")
    );
    assert!(
        browser
            .text("h1")
            .await
            .starts_with("Objectif du Pacte mondial 10")
    );
    let objective = app.api("/v1/progress/objectives").await;
    let ten = objective["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["objective"] == 10)
        .unwrap()
        .clone();
    let summary = browser.table("#summary").await;
    assert_tally(&summary["summary-row"], &ten, "objective 10 page");
    assert!(browser.exists("#timeline-chart svg").await);
    browser.screenshot("objective-10-fr").await;

    browser.goto("/sdg-targets/10.7?lang=es").await;
    assert!(browser.text("h1").await.starts_with("Meta ODS 10.7"));
    browser.screenshot("sdg-target-10.7-es").await;

    browser
        .goto("/mechanisms/bali-process?lang=en&status=in_progress")
        .await;
    let commitments = browser.find_all("#commitments tbody tr").await;
    let api = app
        .api("/v1/commitments?mechanism=bali-process&status=in_progress")
        .await;
    assert_eq!(
        commitments.len(),
        api["items"].as_array().unwrap().len(),
        "filtered list"
    );
    browser.screenshot("mechanism-bali-process").await;

    // A retracted update stays, struck through, with its reason.
    browser
        .goto(&format!("/commitments/{skills}?lang=en"))
        .await;
    assert!(browser.exists("#update-1.retracted del").await);
    assert!(
        browser
            .text("#update-1")
            .await
            .contains("Counted a partnership that was not signed.")
    );
    assert_eq!(
        browser.find_all("#trail tbody tr").await.len(),
        4,
        "every event"
    );
    browser.screenshot("commitment-with-retraction").await;

    // A revision reads as before → after.
    browser
        .goto(&format!("/commitments/{returning}?lang=en"))
        .await;
    let revised = browser.text("#trail tr.event-commitment_revised").await;
    assert!(
        revised.contains("Return and reintegration")
            && revised.contains("Return and sustainable reintegration")
            && revised.contains("Aligned with the ministerial declaration."),
        "the revision's diff and reason: {revised}"
    );

    browser.goto("/audit?lang=en").await;
    assert_eq!(
        browser
            .find("#chain-status")
            .await
            .attr("data-ok")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    browser.screenshot("audit").await;

    browser
        .goto("/changes?lang=en&from=2021-09-01&to=2022-05-20")
        .await;
    let moved = browser.table("#moved-by-mechanism").await;
    let api = app
        .api("/v1/progress/changes?from=2021-09-01&to=2022-05-20")
        .await;
    let api_moved = api["changes"].as_array().unwrap().len();
    let page_moved: usize = moved
        .values()
        .map(|row| cell(row, "moved").parse::<usize>().unwrap())
        .sum();
    assert_eq!(
        page_moved, api_moved,
        "what moved, per mechanism, adds up to the API's list"
    );
    assert_eq!(
        browser.text("#moved-total").await,
        format!("({api_moved})"),
        "the list's heading counts every commitment that moved"
    );
    browser.screenshot("changes").await;
    browser.close().await;
}

/// The objectives table against `GET /v1/progress/objectives?{query}`; returns the API's rows by
/// objective number.
async fn assert_objectives_match(
    browser: &Browser,
    app: &HistoryApp,
    query: &str,
) -> HashMap<String, Value> {
    let api = app.api(&format!("/v1/progress/objectives?{query}")).await;
    let rows = browser.table("#objectives").await;
    let mut by_number = HashMap::new();
    for objective in api["objectives"].as_array().unwrap() {
        let number = objective["objective"].to_string();
        assert_tally(
            &rows[&format!("objective-{number}")],
            objective,
            &format!("objective {number} with {query}"),
        );
        by_number.insert(number, objective.clone());
    }
    by_number
}

/// A row of a progress table against the API's tally.
fn assert_tally(row: &HashMap<String, String>, api: &Value, case: &str) {
    assert_eq!(
        cell(row, "total"),
        api["commitments"].to_string(),
        "{case}: total"
    );
    for status in STATUSES {
        assert_eq!(
            cell(row, &format!("status-{status}")),
            api["by_status"][status].to_string(),
            "{case}: {status}"
        );
    }
    let mean = match api["mean_percent"].as_f64() {
        Some(mean) => format!("{mean:.1}"),
        None => String::new(),
    };
    assert_eq!(cell(row, "mean"), mean, "{case}: mean percent");
    for freshness in ["current", "due", "overdue"] {
        assert_eq!(
            cell(row, &format!("fresh-{freshness}")),
            api["freshness"][freshness].to_string(),
            "{case}: {freshness}"
        );
    }
}

/// The text of the cell whose classes include `class`.
fn cell(row: &HashMap<String, String>, class: &str) -> String {
    row.iter()
        .find(|(classes, _)| classes.split_whitespace().any(|c| c == class))
        .map(|(_, text)| text.clone())
        .unwrap_or_else(|| panic!("no cell of class {class} in {row:?}"))
}

/// The stacked bars of `svg` against the API's counts: per status, as many segments as objectives
/// with commitments in it, and a total width proportional to the count.
fn assert_chart_matches(svg: &str, objectives: &Value) {
    let rects = rects(svg);
    let objectives = objectives.as_array().unwrap();
    let mut widths = [0.0_f64; 6];
    let mut segments = [0usize; 6];
    for (fill, width) in &rects {
        if let Some(status) = COLORS
            .iter()
            .position(|color| color.eq_ignore_ascii_case(fill))
        {
            widths[status] += width;
            segments[status] += 1;
        }
    }
    let counts: Vec<i64> = STATUSES
        .iter()
        .map(|status| {
            objectives
                .iter()
                .map(|o| o["by_status"][status].as_i64().unwrap())
                .sum()
        })
        .collect();
    let total_count: i64 = counts.iter().sum();
    let total_width: f64 = widths.iter().sum();
    assert!(total_count > 0 && total_width > 0.0, "the chart has bars");
    #[allow(clippy::cast_precision_loss, reason = "small counts")]
    let unit = total_width / total_count as f64;
    for (index, status) in STATUSES.iter().enumerate() {
        let expected_segments = objectives
            .iter()
            .filter(|o| o["by_status"][status].as_i64().unwrap() > 0)
            .count();
        assert_eq!(
            segments[index], expected_segments,
            "{status}: one segment per objective"
        );
        #[allow(clippy::cast_precision_loss, reason = "small counts")]
        let expected_width = counts[index] as f64 * unit;
        #[allow(clippy::cast_precision_loss, reason = "small counts")]
        let slack = 2.0 * segments[index] as f64 + 1.0;
        assert!(
            (widths[index] - expected_width).abs() <= slack,
            "{status}: width {} for {} commitments (unit {unit})",
            widths[index],
            counts[index]
        );
    }
}

/// `(fill, width)` of every `<rect>` in an SVG document.
fn rects(svg: &str) -> Vec<(String, f64)> {
    svg.split("<rect")
        .skip(1)
        .filter_map(|rest| {
            let tag = rest.split('>').next()?;
            let attribute = |name: &str| {
                tag.split(&format!(" {name}=\""))
                    .nth(1)
                    .and_then(|value| value.split('"').next())
                    .map(str::to_owned)
            };
            Some((attribute("fill")?, attribute("width")?.parse().ok()?))
        })
        .collect()
}
