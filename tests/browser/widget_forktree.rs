//! Guards the forktree widget (filled in with the widget script).
