print("upmon")
