"""Reference data shipped with chainwatch: regions, industries, countries and chains."""
