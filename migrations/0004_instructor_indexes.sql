-- Indexes for the instructor's class views (src/store/class_stats.rs), which aggregate a whole class at once.
-- Mastered questions only (box >= 3, schedule::MASTERED_BOX — change both together): the class grid counts
-- them per learner and topic by reading just these entries, not every question a learner has seen.
create index question_progress_mastered on question_progress (user_id, topic, box) where box >= 3;
-- "What is the class answering right now" starts from a time window.
create index attempt_created on attempt (created_at, user_id);
