"""sentiment: language detection and FR/EN sentiment of mentions."""
