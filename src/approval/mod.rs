//! Human approvals: the queue of calls waiting for a yes or no, their
//! deadlines, and remembered decisions.
