//! Tests of identity binding.
