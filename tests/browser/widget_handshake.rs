//! Guards the handshake widget (filled in with the widget script).
