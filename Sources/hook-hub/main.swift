print("hook-hub")
