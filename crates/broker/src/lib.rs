//! Embedded STOMP broker.
