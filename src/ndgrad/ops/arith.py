"""More elementwise arithmetic: logaddexp, hypot, copysign, float_power, exp2, log2, ... ."""
