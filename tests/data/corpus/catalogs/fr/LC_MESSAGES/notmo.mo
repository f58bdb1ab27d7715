this is not a catalog
