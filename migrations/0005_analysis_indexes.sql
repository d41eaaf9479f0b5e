-- Index for the question analysis page (src/store/analysis.rs): the widget prediction steps of one
-- widget, grouped by scenario, step and field, read from the index alone and already in group order
-- (no sort), with the learner in the index for the class-membership test. It starts with the columns of
-- widget_answer_widget (widget, scenario, step), so it serves every query that one did, and that one goes.
create index widget_answer_step on widget_answer (widget, scenario, step, field, user_id, correct);
drop index widget_answer_widget;
