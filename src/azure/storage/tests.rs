//! Tests of the storage account reader and evaluation.
