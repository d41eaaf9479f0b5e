//! Guards the ftp widget (filled in with the widget script).
