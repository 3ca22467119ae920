//! Ruby Marshal 4.8 for the MCollective subset. (In progress.)
