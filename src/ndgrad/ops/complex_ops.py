"""Complex numbers: view_as_real, view_as_complex, polar, complex, conj_physical, ... ."""
