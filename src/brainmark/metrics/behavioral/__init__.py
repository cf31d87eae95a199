"""Behavioural metrics: I2n family (Rajalingham 2018), accuracy and error consistency (Geirhos)."""
