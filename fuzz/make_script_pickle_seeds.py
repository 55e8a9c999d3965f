"""Writes seeds/script-pickle: for each archive in seeds/script (in name order, as the harness numbers them), one seed
per pickle: a byte choosing the archive (and, with its high bit, constants.pkl instead of data.pkl), then the pickle.

Run from this folder with any Python 3: python3 make_script_pickle_seeds.py
"""
import os
import zipfile

archives = sorted(f for f in os.listdir("seeds/script") if f.endswith(".pt"))
for index, name in enumerate(archives):
    with zipfile.ZipFile(os.path.join("seeds/script", name)) as z:
        for member in z.namelist():
            for pickle, flag in (("/data.pkl", 0), ("/constants.pkl", 0x80)):
                if member.endswith(pickle) and member.count("/") == 1:
                    data = z.read(member)
                    if flag and len(data) <= 8:
                        continue  # an empty constants tuple adds nothing
                    with open(os.path.join("seeds/script-pickle", f"{name[:-3]}{pickle.replace('/', '_').replace('.pkl', '')}.bin"), "wb") as out:
                        out.write(bytes([index | flag]) + data)
