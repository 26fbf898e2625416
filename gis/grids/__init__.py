"""The grid network (一张网): statistics, audit, crosswalk from the old systems and
delineation of new grids. One module per job."""
