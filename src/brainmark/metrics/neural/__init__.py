"""Neural metrics: predictivity (PLS, ridge, linear), internal-consistency ceilings, RSA, CKA."""
