"""Classification models of transactions: the categoriser (which category is this?), the
fraud detector (supervised, learned from fraud labels) and the anomaly detector
(unsupervised). Plain scikit-learn estimators without Django: they take pandas frames
of transaction fields and can be pickled as model artifacts."""
