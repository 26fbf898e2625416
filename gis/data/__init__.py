"""The official division codes and names (统计用区划代码, 2023) that give the demo district its
real places: Guangxi's counties, the townships and villages of Nanning and its Jiangnan
district; and Jiangnan's real outline, which it stands on (see README.md here)."""
