//! The committed catalogue files parse and say what DOMAIN.md and the sources say.
//!
//! These tests are what makes the `panic!` in `parse` unreachable in a shipped binary.

use std::collections::HashSet;

use time::macros::date;

use super::*;

/// The number of bullets in §6 (5), §7 (6 bullets, the last with 2 sub-bullets, so 6 + 2) and §8
/// (3) of the GRCP 7 Highlights Document, counted by reading `shared/seed/grcp7-highlights.md`.
const GRCP7_BULLETS: usize = 5 + 8 + 3;

fn objective(number: i64) -> &'static GcmObjective {
    let number = ObjectiveNumber::new(number).expect("test uses a valid objective number");
    gcm_objective(number).expect("every objective is in the catalogue")
}

fn target(code: &str) -> &'static SdgTarget {
    let code = SdgTargetCode::parse(code).expect("test uses a well-formed code");
    sdg_target(&code).expect("the target is in the catalogue")
}

fn review(id: &str) -> &'static ReviewPoint {
    let id = ReviewPointId::parse(id).expect("test uses a valid slug");
    review_point(&id).expect("the review point is in the catalogue")
}

#[test]
fn every_catalogue_parses_and_names_its_file_version_source_and_licence() {
    for catalogue in Catalogue::ALL {
        let info = catalogue.info();
        assert_eq!(
            format!("{}.json", info.name),
            catalogue.file_name(),
            "{catalogue:?}"
        );
        for (field, value) in [
            ("title", &info.title),
            ("version", &info.version),
            ("source", &info.source),
            ("licence", &info.licence),
        ] {
            assert!(!value.trim().is_empty(), "{catalogue:?} has no {field}");
        }
    }
    assert_eq!(sources().count(), Catalogue::ALL.len());
}

#[test]
fn there_are_twenty_three_objectives_numbered_in_order() {
    let numbers: Vec<u8> = gcm_objectives().iter().map(|o| o.number.get()).collect();
    assert_eq!(numbers, (1..=23).collect::<Vec<u8>>());
    for number in ObjectiveNumber::all() {
        assert_eq!(gcm_objective(number).map(|o| o.number), Some(number));
    }
}

#[test]
fn objective_titles_match_domain_md() {
    let cases = [
        (
            1,
            "Data",
            "Collect and utilize accurate and disaggregated data as a basis for evidence-based policies",
        ),
        (
            13,
            "Alternatives to detention",
            "Use migration detention only as a measure of last resort and work towards alternatives",
        ),
        (
            20,
            "Remittances",
            "Promote faster, safer and cheaper transfer of remittances and foster financial inclusion of migrants",
        ),
        (
            23,
            "International cooperation",
            "Strengthen international cooperation and global partnerships for safe, orderly and regular migration",
        ),
    ];
    for (number, short_title, title) in cases {
        let objective = objective(number);
        assert_eq!(objective.short_title.en, short_title, "objective {number}");
        assert_eq!(objective.title.en, title, "objective {number}");
    }
}

#[test]
fn objective_translations_are_complete_except_spanish_titles_of_15_to_17() {
    for objective in gcm_objectives() {
        let number = objective.number.get();
        assert!(objective.title.fr.is_some(), "objective {number} fr");
        assert!(
            objective.short_title.fr.is_some(),
            "objective {number} short fr"
        );
        assert!(
            objective.short_title.es.is_some(),
            "objective {number} short es"
        );
        assert_eq!(
            objective.title.es.is_none(),
            (15..=17).contains(&number),
            "objective {number} es"
        );
    }
}

#[test]
fn catalogues_state_the_day_their_facts_took_effect() {
    let effective_from = |catalogue: Catalogue| catalogue.info().effective_from;
    assert_eq!(
        effective_from(Catalogue::GcmObjectives),
        Some(GCM_ADOPTED_ON)
    );
    assert_eq!(
        effective_from(Catalogue::SdgTargets),
        Some(date!(2015 - 09 - 25))
    );
    assert_eq!(
        effective_from(Catalogue::Grcp7Recommendations),
        Some(date!(2017 - 10 - 11))
    );
    assert_eq!(effective_from(Catalogue::ReviewPoints), None);
}

#[test]
fn localized_text_falls_back_to_english_only_where_no_translation_exists() {
    let fifteen = &objective(15).title;
    assert_eq!(fifteen.get(Lang::Es), fifteen.en);
    assert_eq!(fifteen.translation(Lang::Es), None);
    assert_eq!(
        fifteen.get(Lang::Fr),
        "Assurer l’accès des migrants aux services de base"
    );
    assert_eq!(
        objective(5).title.get(Lang::Es),
        "Aumentar la disponibilidad y flexibilidad de las vías de migración regular"
    );
}

#[test]
fn languages_parse_from_primary_subtags() {
    assert_eq!(Lang::from_code("fr"), Some(Lang::Fr));
    assert_eq!(Lang::from_code("ES-419"), Some(Lang::Es));
    assert_eq!(Lang::from_code("en_GB"), Some(Lang::En));
    assert_eq!(Lang::from_code("de"), None);
    assert_eq!(Lang::from_code(""), None);
    assert_eq!(Lang::Fr.to_string(), "fr");
}

#[test]
fn there_are_169_sdg_targets_with_unique_codes_in_all_three_languages() {
    assert_eq!(sdg_targets().len(), 169);
    let codes: HashSet<&str> = sdg_targets().iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes.len(), 169);
    for target in sdg_targets() {
        for lang in Lang::ALL {
            let text = target.title.translation(lang);
            assert!(
                text.is_some_and(|text| !text.trim().is_empty()),
                "{} {lang}",
                target.code
            );
        }
    }
}

#[test]
fn sdg_targets_are_grouped_by_goal_in_resolution_order() {
    let goals: Vec<u8> = sdg_targets().iter().map(|t| t.code.goal()).collect();
    assert!(goals.windows(2).all(|pair| pair[0] <= pair[1]));
    let goal_ten: Vec<&str> = sdg_targets()
        .iter()
        .filter(|t| t.code.goal() == 10)
        .map(|t| t.code.as_str())
        .collect();
    assert_eq!(
        goal_ten,
        [
            "10.1", "10.2", "10.3", "10.4", "10.5", "10.6", "10.7", "10.a", "10.b", "10.c"
        ]
    );
    let numbers: Vec<u8> = sdg_goals().iter().map(|g| g.number).collect();
    assert_eq!(numbers, (1..=17).collect::<Vec<u8>>());
    assert_eq!(sdg_goals()[9].short_title.en, "Reduced inequalities");
}

#[test]
fn targets_10_7_and_10_c_read_as_in_domain_md() {
    assert_eq!(
        target("10.7").title.en,
        "Facilitate orderly, safe, regular and responsible migration and mobility of people, \
         including through the implementation of planned and well-managed migration policies"
    );
    assert_eq!(
        target("10.c").title.en,
        "By 2030, reduce to less than 3 per cent the transaction costs of migrant remittances and \
         eliminate remittance corridors with costs higher than 5 per cent"
    );
    assert_eq!(
        target("10.7").title.get(Lang::Fr),
        "Faciliter la migration et la mobilité de façon ordonnée, sûre, régulière et responsable, \
         notamment par la mise en œuvre de politiques migratoires planifiées et bien gérées"
    );
}

#[test]
fn a_well_formed_code_that_names_no_target_is_not_found() {
    let code = SdgTargetCode::parse("10.9").expect("well-formed");
    assert_eq!(sdg_target(&code), None);
}

#[test]
fn exactly_the_21_targets_listed_in_domain_md_are_migration_relevant() {
    let expected: HashSet<&str> = [
        "10.7", "10.c", "8.7", "8.8", "5.2", "16.2", "16.9", "17.16", "17.17", "17.18", "3.c",
        "4.b", "1.3", "8.5", "10.2", "10.3", "16.3", "16.b", "17.3", "3.8", "4.4",
    ]
    .into_iter()
    .collect();
    let relevant: HashSet<&str> = migration_relevant_targets()
        .map(|t| t.code.as_str())
        .collect();
    assert_eq!(relevant.len(), 21);
    assert_eq!(relevant, expected);
}

#[test]
fn grcp7_has_one_recommendation_per_bullet_with_unique_parseable_slugs() {
    let recommendations = grcp7_recommendations();
    assert_eq!(recommendations.len(), GRCP7_BULLETS);
    let ids: HashSet<&str> = recommendations.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), GRCP7_BULLETS);
    for recommendation in recommendations {
        let slug = recommendation.id.as_str();
        assert_eq!(
            RecommendationId::parse(slug).as_ref(),
            Ok(&recommendation.id)
        );
        assert!(slug.starts_with("grcp7-"), "{slug}");
    }
    let slugs: Vec<&str> = recommendations.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        slugs,
        [
            "grcp7-6.1",
            "grcp7-6.2",
            "grcp7-6.3",
            "grcp7-6.4",
            "grcp7-6.5",
            "grcp7-7.1",
            "grcp7-7.2",
            "grcp7-7.3",
            "grcp7-7.4",
            "grcp7-7.5",
            "grcp7-7.6",
            "grcp7-7.6.a",
            "grcp7-7.6.b",
            "grcp7-8.1",
            "grcp7-8.2",
            "grcp7-8.3",
        ]
    );
}

#[test]
fn grcp7_recommendations_keep_the_document_words_and_cite_their_paragraph() {
    let first = &grcp7_recommendations()[0];
    assert_eq!(
        first.text,
        "Ensure the protection of the human rights of all migrants regardless of their migratory \
         status, with particular attention to migrants in vulnerable situations"
    );
    for recommendation in grcp7_recommendations() {
        // The paragraph is the number between "grcp7-" and the first dot of the slug.
        let paragraph = recommendation
            .id
            .as_str()
            .trim_start_matches("grcp7-")
            .split('.')
            .next()
            .unwrap_or_default();
        assert_eq!(
            recommendation.source,
            format!("GRCP 7 Highlights Document, Geneva, 11 October 2017, para {paragraph}"),
        );
        assert!(
            RECOMMENDATION_THEMES.contains(&recommendation.theme.as_str()),
            "{}: unknown theme {}",
            recommendation.id,
            recommendation.theme
        );
        assert!(
            !recommendation.text.ends_with([';', '.', ':']),
            "{}",
            recommendation.id
        );
    }
    let id = RecommendationId::parse("grcp7-7.6.b").expect("valid slug");
    assert_eq!(
        grcp7_recommendation(&id).map(|r| r.theme.as_str()),
        Some("data-exchange")
    );
}

#[test]
fn review_points_are_sorted_by_date_and_well_formed() {
    let points = review_points();
    assert!(
        points.windows(2).all(
            |pair| (pair[0].starts_on, pair[0].ends_on) <= (pair[1].starts_on, pair[1].ends_on)
        )
    );
    let ids: HashSet<&str> = points.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), points.len());
    for point in points {
        assert!(point.starts_on <= point.ends_on, "{}", point.id);
        let provenance = review_point_provenance(&point.id).expect("every point has provenance");
        assert!(!provenance.sources.is_empty(), "{}", point.id);
        if provenance.dates != DatePrecision::Exact {
            assert!(
                provenance.note.is_some(),
                "{} must explain its dates",
                point.id
            );
        }
    }
}

#[test]
fn the_review_points_cover_both_regional_rounds_and_both_forums() {
    let imrf_2022 = review("imrf-2022");
    assert_eq!(
        (imrf_2022.starts_on, imrf_2022.ends_on),
        (date!(2022 - 05 - 17), date!(2022 - 05 - 20))
    );
    assert_eq!(review("imrf-2026").starts_on.year(), 2026);
    let first_round = review("regional-reviews-2020-2021");
    assert_eq!(first_round.starts_on.year(), 2020);
    assert_eq!(first_round.ends_on.year(), 2021);
    let second_round = review("regional-reviews-2024-2025");
    assert_eq!(second_round.starts_on.year(), 2024);
    assert_eq!(second_round.ends_on.year(), 2025);
    for region in ["unece", "escwa", "escap", "eclac", "eca"] {
        let in_round = |from: i32, to: i32| {
            review_points().iter().any(|p| {
                p.id.as_str().starts_with("regional-review-")
                    && p.id.as_str().ends_with(&format!("-{region}"))
                    && (from..=to).contains(&p.starts_on.year())
            })
        };
        assert!(in_round(2020, 2021), "first round, {region}");
        assert!(in_round(2024, 2025), "second round, {region}");
    }
}

#[test]
fn review_point_dates_serialize_as_calendar_dates() {
    let json = serde_json::to_value(review("imrf-2022")).expect("serializable");
    assert_eq!(json["starts_on"], "2022-05-17");
    assert_eq!(json["ends_on"], "2022-05-20");
}

#[test]
fn the_crosswalk_links_existing_objectives_to_migration_relevant_targets() {
    assert!(!crosswalk().is_empty());
    let mut pairs = HashSet::new();
    for entry in crosswalk() {
        assert!(gcm_objective(entry.objective).is_some());
        let target = sdg_target(&entry.sdg_target).expect("crosswalk target exists");
        assert!(target.migration_relevant, "{}", entry.sdg_target);
        assert!(
            pairs.insert((entry.objective, entry.sdg_target.as_str())),
            "duplicate pair {} -> {}",
            entry.objective,
            entry.sdg_target
        );
    }
    let official: Vec<(u8, &str)> = crosswalk()
        .iter()
        .filter(|entry| entry.source == CrosswalkSource::Official)
        .map(|entry| (entry.objective.get(), entry.sdg_target.as_str()))
        .collect();
    assert_eq!(official, [(20, "10.c")]);
    let objectives: Vec<u8> = crosswalk().iter().map(|e| e.objective.get()).collect();
    assert!(objectives.windows(2).all(|pair| pair[0] <= pair[1]));
}

#[test]
fn catalogue_texts_use_precomposed_characters() {
    // The upstream French and Spanish files are largely NFD; generate.py converts them to NFC so
    // that "mobilité" typed by a user matches. A stray combining accent means that step was lost.
    let combining = |text: &str| text.chars().any(|c| ('\u{300}'..='\u{36f}').contains(&c));
    let texts = gcm_objectives()
        .iter()
        .flat_map(|o| [&o.short_title, &o.title])
        .chain(sdg_targets().iter().map(|t| &t.title))
        .chain(sdg_goals().iter().flat_map(|g| [&g.short_title, &g.title]));
    for localized in texts {
        for lang in Lang::ALL {
            if let Some(text) = localized.translation(lang) {
                assert!(!combining(text), "{lang}: {text}");
            }
        }
    }
}
