"""Pure rules of the bridge, free of Flask and storage: shared validators first."""
