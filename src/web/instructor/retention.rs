//! `GET /instructor/classes/{class_id}/retention`: per topic, how much of the class is likely to still
//! know it today (FSRS retrievability, `classroom::retention`), how many members studied it, and which of
//! its questions are fading — the ones to bring back in class.

use super::{analysis_href, class_href};
use crate::classroom::retention::{self, State as MemberState};
use crate::quiz::schedule::Memory;
use crate::store;
use crate::web::error::Result;
use crate::web::guards::OwnedClass;
use crate::web::layout::Layout;
use crate::web::quiz::question_label;
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

/// A fading question as the page lists it.
pub struct FadingRow {
    pub label: String,
    pub percent: i64,
    pub learners: usize,
}

/// A topic's row.
pub struct TopicRow {
    pub title: String,
    pub analysis_href: String,
    pub percent: i64,
    pub learners: usize,
    pub fading: Vec<FadingRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "instructor/retention.html")]
pub struct RetentionPage {
    pub layout: Layout,
    pub class_name: String,
    pub class_href: String,
    pub member_count: usize,
    pub topics: Vec<TopicRow>,
}

pub async fn retention(
    owned: OwnedClass,
    State(state): State<AppState>,
    layout: Layout,
) -> Result<Response> {
    let class_id = owned.class.class_id;
    let content = state.content();
    let (rows, members) = tokio::try_join!(
        store::learning::class_states(&state.db, class_id),
        store::classes::members(&state.db, class_id)
    )?;
    let states: Vec<MemberState> = rows
        .iter()
        .filter(|r| content.quizzes.question(&r.question_id).is_some())
        .map(|r| MemberState {
            user_id: r.user_id,
            question_id: &r.question_id,
            topic: &r.topic,
            last_at: r.last_at,
            memory: Memory {
                stability: r.stability,
                difficulty: r.difficulty,
            },
        })
        .collect();
    let by_topic = retention::by_topic(&states, store::now());
    let topics = content
        .course
        .topics
        .iter()
        .filter_map(|t| {
            let r = by_topic.iter().find(|r| r.topic == t.slug)?;
            Some(TopicRow {
                title: t.title.clone(),
                analysis_href: analysis_href(class_id, &t.slug),
                percent: retention::percent(r.recall),
                learners: r.learners,
                fading: r
                    .fading
                    .iter()
                    .take(5)
                    .filter_map(|q| {
                        Some(FadingRow {
                            label: question_label(content.quizzes.question(&q.question_id)?),
                            percent: retention::percent(q.recall),
                            learners: q.learners,
                        })
                    })
                    .collect(),
            })
        })
        .collect();
    Ok(RetentionPage {
        layout,
        class_name: owned.class.name.clone(),
        class_href: class_href(class_id),
        member_count: members.len(),
        topics,
    }
    .into_response())
}
