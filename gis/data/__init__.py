"""The official division codes and names (统计用区划代码, 2023) that give the demo district its
real places: Guangxi's counties, and the townships and villages of Nanning and its Jiangnan
district (see README.md here)."""
