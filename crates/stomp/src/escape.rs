//! Header escaping rules. (Implementation in progress.)
