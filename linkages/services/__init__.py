"""Domain services of the linkages package: plain functions taking the actor first."""
