"""Bad region texts and what the region loader says of each (tests/test_gis.py walks them through
the loader and the CLI, tests/test_doctor_inputs.py through ``passplan doctor``)."""

BAD_REGIONS = [
    ("{not json", "not JSON (line 1"),
    ('{"type": "Point", "coordinates": [1, 2]}', "is a Point; a region must be a Polygon or MultiPolygon"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}', "ring 1: the ring is not closed"),
    ('{"type": "Polygon", "coordinates": [[[10, 100], [11, 100], [11, 101], [10, 100]]]}', "latitude 100 is outside"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}', "is not a valid polygon"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null}]}', "feature 1 has no geometry"),
    ('{"type": "FeatureCollection", "features": []}', "holds no polygon"),
]
