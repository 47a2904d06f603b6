"""The police feed service: batch endpoint for agencies and an Open311 GeoReport v2 subset."""
