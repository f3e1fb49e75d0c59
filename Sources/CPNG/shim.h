#include <png.h>
#include <stdio.h>
