import Upnode
